"""Courier-bound apps (issue #14): the courier id goes into every token the app gets (client
credentials, authorization code, refresh), into the principal, through the gateway's context
token and into introspection; malformed ids are refused at registration and in tokens."""

import time

import pytest
from authlib.common.security import generate_token

from auth.clients import ClientRegistrationError, IssuedClient
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

COURIER = "rider-0042_SH"


async def _courier_app(server: AuthServer, courier_id: str = COURIER, **options) -> IssuedClient:
    return await server.service.clients.create(
        partner_id=new_id("ptn"), name="Rider app", scopes="orders:read orders:write",
        courier_id=courier_id, **options)


async def test_a_courier_app_s_token_acts_as_its_courier(auth_server: AuthServer) -> None:
    issued = await _courier_app(auth_server)
    assert issued.client.courier_id == COURIER
    assert (await auth_server.service.clients.get(issued.client.client_id)).courier_id == COURIER
    async with auth_server.oauth_client(issued) as oauth:
        token = await oauth.fetch_token(auth_server.url("/oauth/token"),
                                        grant_type="client_credentials")
    assert _parts(token["access_token"])[1]["courier_id"] == COURIER
    principal = await auth_server.service.verifier.verify(token["access_token"])
    assert (principal.courier_id, principal.store_ids) == (COURIER, frozenset())
    rs = await auth_server.register("stores:read", resource_server=True)
    async with auth_server.oauth_client(rs) as oauth:
        seen = (await oauth.introspect_token(auth_server.url("/oauth/introspect"),
                                             token=token["access_token"])).json()
    assert (seen["active"], seen["courier_id"]) == (True, COURIER)


async def test_other_apps_are_no_courier(auth_server: AuthServer) -> None:
    minted = await auth_server.mint("stores:read")
    assert "courier_id" not in _parts(minted.access_token)[1]
    assert (await auth_server.service.verifier.verify(minted.access_token)).courier_id is None


async def test_member_tokens_of_a_courier_app_keep_the_courier(auth_server: AuthServer) -> None:
    issued = await _courier_app(auth_server, grant_types=list(GRANTS),
                                redirect_uris=[REDIRECT_URI])
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier, scope="orders:read")
    token = await _exchange(auth_server, issued, code, verifier)
    principal = await auth_server.service.verifier.verify(token["access_token"])
    assert (principal.member_id, principal.courier_id) == (member.member_id, COURIER)
    async with auth_server.oauth_client(issued) as oauth:
        refreshed = await oauth.refresh_token(auth_server.url("/oauth/token"),
                                              refresh_token=token["refresh_token"])
    assert (await auth_server.service.verifier.verify(
        refreshed["access_token"])).courier_id == COURIER


async def test_the_courier_crosses_the_context_token(auth_server: AuthServer) -> None:
    service = auth_server.service
    signer = ContextTokenSigner(service.keyring, service.issuer)
    verifier = ContextTokenVerifier(service.keyring, service.issuer, "orders")
    courier = Principal("app_x", frozenset({"orders:write"}), partner_id="ptn_y",
                        courier_id=COURIER)
    assert await verifier.verify(signer.sign(courier, "orders")) == courier
    other = Principal("app_x", frozenset({"orders:write"}), partner_id="ptn_y")
    assert await verifier.verify(signer.sign(other, "orders")) == other


@pytest.mark.parametrize("courier_id", ["", "x" * 65, "rider 1", "rider/1", "骑手"])
async def test_a_malformed_courier_id_is_refused(auth_server: AuthServer,
                                                 courier_id: str) -> None:
    with pytest.raises(ClientRegistrationError, match="courier id"):
        await _courier_app(auth_server, courier_id)


async def test_the_longest_courier_id_is_accepted(auth_server: AuthServer) -> None:
    assert (await _courier_app(auth_server, "a" * 64)).client.courier_id == "a" * 64


async def test_an_app_is_bound_to_stores_or_a_courier(auth_server: AuthServer) -> None:
    with pytest.raises(ClientRegistrationError, match="not both"):
        await _courier_app(auth_server, store_ids=[new_id("sto")])


@pytest.mark.parametrize("claim", ["", "a b", 7, ["rider"], "x" * 65])
async def test_a_malformed_courier_claim_is_refused(auth_server: AuthServer,
                                                    claim: object) -> None:
    now = int(time.time())
    token = sign(auth_server.service.keyring, ACCESS_TOKEN_TYPE, {
        "iss": auth_server.service.issuer, "aud": AUDIENCE, "iat": now, "nbf": now,
        "exp": now + 60, "jti": generate_token(16), "client_id": "app_x", "sub": "app_x",
        "scope": "orders:read", "partner_id": "ptn_y", "courier_id": claim})
    with pytest.raises(InvalidToken, match="courier_id"):
        await auth_server.service.verifier.verify(token)
