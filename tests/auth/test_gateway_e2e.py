"""The whole chain over HTTP: OAuth token → gateway → field authorization → subgraphs.

Three subgraphs carry guarded fields; ``membership`` is an HTTP subgraph that only accepts
calls with a gateway-signed ``Loopgate-Context`` header and reads the caller from it.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from auth.context import ContextTokenSigner, ContextTokenVerifier
from auth.middleware import RequireContextToken
from gateway.authorization.wiring import (
    auth_shape_for,
    context_headers,
    principal_context,
    principal_of,
)
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.http.app import graphql_route
from gateway.http.endpoint import GraphQLEndpoint
from gateway.service import Gateway
from gateway.transports import HttpTransport, InProcessTransport, TransportRouter
from tests.auth._browser import Member
from tests.auth.e2e_subgraphs import CATALOG, MEMBERSHIP, STORES, MembershipApp
from tests.auth.fixtures import AuthServer, TokenFactory, serve_in_loop
from tests.auth.test_authorization_code import _app, _code, _exchange

QUERY = "{ stores { name phone inventory { sku } } me { id displayName pointsBalance } }"


@dataclass(frozen=True)
class Deployment:
    graphql_url: str
    membership_url: str


def _principal_context(context: Any) -> dict[str, Any]:
    return {"principal": principal_of(context)}


@pytest.fixture(scope="module")
async def deployment(auth_server: AuthServer) -> AsyncIterator[Deployment]:
    service = auth_server.service
    membership = Starlette(
        routes=[Route("/graphql", MembershipApp(MEMBERSHIP))],
        middleware=[Middleware(RequireContextToken, verifier=ContextTokenVerifier(
            service.keyring, service.issuer, audience="membership"))])
    async with serve_in_loop(membership) as membership_url:
        composed = compose_supergraph([
            SubgraphSource("stores", STORES.as_str()),
            SubgraphSource("catalog", CATALOG.as_str()),
            SubgraphSource("membership", MEMBERSHIP.as_str(), url=f"{membership_url}/graphql")])
        assert composed.supergraph_sdl is not None, composed.errors
        signer = ContextTokenSigner(service.keyring, service.issuer)
        router = TransportRouter({
            "stores": InProcessTransport(STORES._schema, _principal_context),
            "catalog": InProcessTransport(CATALOG._schema, _principal_context),
            "membership": HttpTransport("membership", f"{membership_url}/graphql",
                                        headers_for=context_headers(signer)),
        })
        gateway = Gateway(Supergraph.parse(composed.supergraph_sdl), router)
        endpoint = GraphQLEndpoint(gateway, context_for=principal_context(service.verifier),
                                   auth_shape_for=auth_shape_for(lambda: gateway.authorization))
        async with serve_in_loop(Starlette(routes=[graphql_route(endpoint)])) as gateway_url:
            yield Deployment(f"{gateway_url}/graphql", f"{membership_url}/graphql")
        await router.close()


async def _ask(deployment: Deployment, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as http:
        return await http.post(deployment.graphql_url, json={"query": QUERY}, headers={
            **headers, "accept": "application/json"})


def _denied(body: dict[str, Any]) -> list[tuple]:
    return sorted(tuple(error["path"]) for error in body.get("errors", ())
                  if error["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE")


STORE_FIELDS = [("stores", 0, "inventory"), ("stores", 0, "phone"),
                ("stores", 1, "inventory"), ("stores", 1, "phone")]


@pytest.mark.parametrize(("scopes", "denied"), [
    ("orders:read", [("me", "pointsBalance"), *STORE_FIELDS]),
    ("stores:read", [("me", "pointsBalance"), ("stores", 0, "inventory"),
                     ("stores", 1, "inventory")]),
    ("stores:read inventory:read", [("me", "pointsBalance")]),
    ("platform:admin points:read", [("stores", 0, "phone"), ("stores", 1, "phone")]),
    ("stores:read inventory:read points:read", []),
], ids=["orders", "stores", "stores+inventory", "admin+points", "everything"])
async def test_scope_matrix_end_to_end(deployment: Deployment, mint_token: TokenFactory,
                                       scopes: str, denied: list[tuple]) -> None:
    minted = await mint_token(scopes)
    response = await _ask(deployment, minted.access_token)
    body = response.json()
    assert response.status_code == 200
    assert _denied(body) == denied
    assert [store["name"] for store in body["data"]["stores"]] == ["North", "South"]
    me = body["data"]["me"]
    assert me["id"] == minted.client_id
    assert (me["pointsBalance"] is None) == (("me", "pointsBalance") in denied)
    for index, store in enumerate(body["data"]["stores"]):
        assert (store["phone"] is None) == (("stores", index, "phone") in denied)
        assert (store["inventory"] is None) == (("stores", index, "inventory") in denied)


async def test_anonymous_callers_see_only_public_fields(deployment: Deployment) -> None:
    body = (await _ask(deployment, None)).json()
    assert body["data"]["me"] is None
    assert _denied(body) == [("me",), *STORE_FIELDS]


async def test_a_bad_token_is_401(deployment: Deployment, mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    response = await _ask(deployment, minted.access_token[:-4] + "AAAA")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_member_token_reaches_the_http_subgraph_as_that_member(
        deployment: Deployment, auth_server: AuthServer) -> None:
    issued = await _app(auth_server, "points:read")
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    token = await _exchange(auth_server, issued, code, verifier)
    body = (await _ask(deployment, token["access_token"])).json()
    assert body["data"]["me"] == {"id": member.member_id, "displayName": "Mia",
                                  "pointsBalance": 42}


async def test_the_http_subgraph_refuses_direct_calls(deployment: Deployment) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(deployment.membership_url, json={"query": "{ me { id } }"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
