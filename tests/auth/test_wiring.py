"""The gateway glue: context from the bearer token, auth shape, Loopgate-Context headers."""

import pytest
from graphql import parse
from starlette.requests import Request

from auth.context import ContextTokenSigner, ContextTokenVerifier
from gateway.authorization.policy import AuthorizationPolicy
from gateway.authorization.wiring import (
    PRINCIPAL,
    auth_shape_for,
    context_headers,
    principal_context,
)
from gateway.http.errors import RequestRejected
from gateway.transports.base import SubgraphRequest
from schema.kernel.principal import Principal
from tests.auth.fixtures import AuthServer, TokenFactory
from tests.auth.test_field_authorization import API, SUPERGRAPH


def _request(authorization: str | None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": headers,
                    "query_string": b""})


async def test_context_carries_the_verified_principal(auth_server: AuthServer,
                                                      mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    context_for = principal_context(auth_server.service.verifier)
    context = await context_for(_request(f"Bearer {minted.access_token}"))
    assert context[PRINCIPAL].client_id == minted.client_id
    assert (await context_for(_request(None)))[PRINCIPAL] is None


async def test_bad_or_required_tokens_are_rejected_with_401(auth_server: AuthServer) -> None:
    verifier = auth_server.service.verifier
    with pytest.raises(RequestRejected) as bad:
        await principal_context(verifier)(_request("Bearer nope"))
    assert (bad.value.status, bad.value.code) == (401, "UNAUTHENTICATED")
    assert bad.value.headers["WWW-Authenticate"].startswith("Bearer error=\"invalid_token\"")
    with pytest.raises(RequestRejected):
        await principal_context(verifier, require_token=True)(_request(None))


def test_auth_shape_from_context() -> None:
    policy = AuthorizationPolicy.from_supergraph(SUPERGRAPH, API)
    shape_for = auth_shape_for(lambda: policy)
    reader = Principal("app_a", frozenset({"stores:read"}))
    assert shape_for({PRINCIPAL: reader}) == policy.shape(reader)
    assert shape_for({PRINCIPAL: None}) == shape_for({}) == frozenset()


async def test_context_headers_verify_at_the_subgraph(auth_server: AuthServer) -> None:
    service = auth_server.service
    signer = ContextTokenSigner(service.keyring, service.issuer)
    principal = Principal("app_a", frozenset({"orders:read"}), partner_id="ptn_b")
    request = SubgraphRequest("orders", "{ a }", parse("{ a }"), {},
                              context={PRINCIPAL: principal})
    headers = context_headers(signer)(request)
    assert headers == context_headers(signer)(request)
    verifier = ContextTokenVerifier(service.keyring, service.issuer, "orders")
    assert await verifier.verify(headers["Loopgate-Context"]) == principal
