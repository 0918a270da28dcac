"""Store-bound apps (issue #12): the binding goes into every token the app gets (client
credentials, authorization code, refresh), into the principal, and through the gateway's
context token to HTTP subgraphs; a token whose binding claim is malformed is refused."""

import time

import httpx
import pytest
from authlib.common.security import generate_token

from auth.clients import ClientRegistrationError
from auth.context import ContextTokenSigner, ContextTokenVerifier
from auth.errors import InvalidToken
from auth.signing import sign
from auth.tokens import ACCESS_TOKEN_TYPE, AUDIENCE
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal
from tests.auth._browser import Member
from tests.auth.fixtures import REDIRECT_URI, AuthServer
from tests.auth.test_authorization_code import GRANTS, _code, _exchange
from tests.auth.test_tokens import _parts

STORES = tuple(sorted(new_id("sto") for _ in range(2)))


async def _whoami(server: AuthServer, access_token: str) -> dict:
    async with httpx.AsyncClient() as http:
        answer = await http.get(server.url("/whoami"),
                                headers={"Authorization": f"Bearer {access_token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_bound_app_s_client_credentials_token_names_its_stores(
        auth_server: AuthServer) -> None:
    issued = await auth_server.register("stores:read", store_ids=(STORES[1], STORES[0],
                                                                  STORES[1]))
    assert issued.client.store_ids == STORES
    async with auth_server.oauth_client(issued) as oauth:
        token = await oauth.fetch_token(auth_server.url("/oauth/token"),
                                        grant_type="client_credentials")
    assert _parts(token["access_token"])[1]["store_ids"] == list(STORES)
    assert (await _whoami(auth_server, token["access_token"]))["store_ids"] == list(STORES)
    principal = await auth_server.service.verifier.verify(token["access_token"])
    assert principal.is_store_bound
    assert principal.may_act_at(STORES[0]) and principal.may_act_at(STORES[1])
    assert not principal.may_act_at(new_id("sto"))


async def test_an_unbound_app_acts_for_every_store(auth_server: AuthServer) -> None:
    minted = await auth_server.mint("stores:read")
    assert "store_ids" not in _parts(minted.access_token)[1]
    principal = await auth_server.service.verifier.verify(minted.access_token)
    assert not principal.is_store_bound and principal.store_ids == frozenset()
    assert principal.may_act_at(new_id("sto"))


async def test_member_tokens_of_a_bound_app_keep_the_binding(auth_server: AuthServer) -> None:
    issued = await auth_server.register("points:read", grants=GRANTS,
                                        redirect_uris=(REDIRECT_URI,), store_ids=STORES[:1])
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    token = await _exchange(auth_server, issued,
                            await _code(auth_server, member, issued, verifier), verifier)
    me = await _whoami(auth_server, token["access_token"])
    assert (me["member_id"], me["store_ids"]) == (member.member_id, [STORES[0]])
    async with auth_server.oauth_client(issued) as oauth:
        refreshed = await oauth.refresh_token(auth_server.url("/oauth/token"),
                                              refresh_token=token["refresh_token"])
    assert (await _whoami(auth_server, refreshed["access_token"]))["store_ids"] == [STORES[0]]


async def test_the_binding_crosses_the_context_token(auth_server: AuthServer) -> None:
    service = auth_server.service
    signer = ContextTokenSigner(service.keyring, service.issuer)
    verifier = ContextTokenVerifier(service.keyring, service.issuer, "orders")
    bound = Principal("app_x", frozenset({"orders:read"}), partner_id="ptn_y",
                      store_ids=frozenset(STORES))
    unbound = Principal("app_x", frozenset({"orders:read"}), partner_id="ptn_y")
    assert await verifier.verify(signer.sign(bound, "orders")) == bound
    assert await verifier.verify(signer.sign(unbound, "orders")) == unbound


@pytest.mark.parametrize("claim", ["sto_x", [""], [1], {"a": 1}])
async def test_a_malformed_binding_claim_is_refused(auth_server: AuthServer,
                                                    claim: object) -> None:
    now = int(time.time())
    token = sign(auth_server.service.keyring, ACCESS_TOKEN_TYPE, {
        "iss": auth_server.service.issuer, "aud": AUDIENCE, "iat": now, "nbf": now,
        "exp": now + 60, "jti": generate_token(16), "client_id": "app_x", "sub": "app_x",
        "scope": "stores:read", "partner_id": "ptn_y", "store_ids": claim})
    with pytest.raises(InvalidToken, match="store_ids"):
        await auth_server.service.verifier.verify(token)


async def test_only_store_ids_can_be_bound(auth_server: AuthServer) -> None:
    with pytest.raises(ClientRegistrationError, match="sto_"):
        await auth_server.register("stores:read", store_ids=(new_id("ptn"),))
