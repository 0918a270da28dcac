"""The gateway→subgraph context token and the middleware a subgraph uses to require it."""

import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from auth.context import ContextTokenSigner, ContextTokenVerifier
from auth.jwks import RemoteJwks
from auth.middleware import RequireContextToken
from auth.signing import sign
from schema.kernel.principal import Principal
from tests.auth.fixtures import AuthServer, TokenFactory


async def _graphql(request: Request) -> JSONResponse:
    principal: Principal | None = request.state.principal
    if principal is None:
        return JSONResponse({"anonymous": True})
    return JSONResponse({"client_id": principal.client_id, "partner_id": principal.partner_id,
                         "scopes": sorted(principal.scopes), "member_id": principal.member_id})


def _subgraph(server: AuthServer, name: str) -> httpx.AsyncClient:
    verifier = ContextTokenVerifier(server.service.keyring, server.service.issuer, name)
    app = RequireContextToken(Starlette(routes=[Route("/graphql", _graphql, methods=["POST"])]),
                              verifier)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sg")


@pytest.fixture
def signer(auth_server: AuthServer) -> ContextTokenSigner:
    return ContextTokenSigner(auth_server.service.keyring, auth_server.service.issuer)


async def test_subgraph_receives_the_principal(auth_server: AuthServer,
                                               signer: ContextTokenSigner) -> None:
    principal = Principal("app_x", frozenset({"orders:read"}), partner_id="ptn_y",
                          member_id="mem_z")
    async with _subgraph(auth_server, "orders") as sg:
        answer = await sg.post("/graphql", headers=signer.headers(principal, "orders"))
    assert answer.json() == {"client_id": "app_x", "partner_id": "ptn_y",
                             "scopes": ["orders:read"], "member_id": "mem_z"}


async def test_anonymous_callers_are_vouched_for_as_anonymous(
        auth_server: AuthServer, signer: ContextTokenSigner) -> None:
    async with _subgraph(auth_server, "stores") as sg:
        answer = await sg.post("/graphql", headers=signer.headers(None, "stores"))
    assert answer.json() == {"anonymous": True}


async def test_subgraph_refuses_calls_without_a_valid_context_token(
        auth_server: AuthServer, signer: ContextTokenSigner, mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    principal = Principal("app_x", frozenset({"stores:read"}))
    keyring = auth_server.service.keyring
    now = int(time.time())
    expired = sign(keyring, "loopgate-context+jwt", {
        "iss": auth_server.service.issuer, "aud": "stores", "iat": now - 600,
        "exp": now - 300, "jti": "j", "client_id": "app_x"})
    refused = {
        "missing": {},
        "other-subgraph": signer.headers(principal, "orders"),
        "access-token": {"Loopgate-Context": minted.access_token},
        "expired": {"Loopgate-Context": expired},
        "garbage": {"Loopgate-Context": "abc"},
    }
    async with _subgraph(auth_server, "stores") as sg:
        for case, headers in refused.items():
            answer = await sg.post("/graphql", headers=headers)
            assert answer.status_code == 401, case
            assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", case


async def test_a_subgraph_can_verify_with_the_public_jwks(
        auth_server: AuthServer, signer: ContextTokenSigner) -> None:
    jwks = RemoteJwks(auth_server.url("/.well-known/jwks.json"), min_refetch_s=0)
    await jwks.load()
    verifier = ContextTokenVerifier(jwks, auth_server.service.issuer, "stores")
    principal = Principal("app_x", frozenset({"stores:read"}))
    assert await verifier.verify(signer.sign(principal, "stores")) == principal
    await auth_server.service.rotate_keys()
    fresh = ContextTokenSigner(auth_server.service.keyring, auth_server.service.issuer)
    assert await verifier.verify(fresh.sign(principal, "stores")) == principal


async def test_an_unreachable_jwks_refuses_tokens_without_crashing(
        signer: ContextTokenSigner, auth_server: AuthServer) -> None:
    from auth.errors import InvalidToken
    from auth.jwks import JwksUnavailable

    jwks = RemoteJwks("http://127.0.0.1:9/jwks.json", timeout_s=0.5)
    with pytest.raises(JwksUnavailable):
        await jwks.load()
    verifier = ContextTokenVerifier(jwks, auth_server.service.issuer, "stores")
    with pytest.raises(InvalidToken, match="unknown"):
        await verifier.verify(signer.sign(None, "stores"))
