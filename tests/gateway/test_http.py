"""GraphQL over HTTP: methods, media types, status codes, limits, GraphiQL, CORS, health."""

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from gateway.authorization import AuthShape
from gateway.federation import Supergraph
from gateway.http.app import create_gateway_app, graphql_route
from gateway.http.endpoint import GraphQLEndpoint
from gateway.http.errors import RequestRejected
from gateway.service import Gateway, GatewayResult
from tests.gateway.conftest import CountingRouter, in_process_router, supergraph_sdl

GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8"
JSON = "application/json; charset=utf-8"
ORIGIN = "https://app.example"
QUERY = '{ user(id: "u1") { id username } }'


@pytest.fixture
def router() -> CountingRouter:
    """HTTP behaviour does not depend on the transport: in-process only, counted."""
    return CountingRouter(in_process_router())


@pytest.fixture
async def http(router: CountingRouter) -> AsyncIterator[httpx.AsyncClient]:
    gateway = Gateway(Supergraph.parse(supergraph_sdl()), router)
    app = create_gateway_app(gateway, cors_origins=[ORIGIN], max_body_bytes=2000)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        yield client


def codes(reply: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in reply.json()["errors"]]


async def test_post_json(http: httpx.AsyncClient) -> None:
    reply = await http.post("/graphql", json={"query": QUERY})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == GRAPHQL_RESPONSE
    assert reply.json()["data"] == {"user": {"id": "u1", "username": "ada"}}


async def test_application_json_when_asked(http: httpx.AsyncClient) -> None:
    reply = await http.post("/graphql", json={"query": QUERY},
                            headers={"accept": "application/json"})
    assert (reply.status_code, reply.headers["content-type"]) == (200, JSON)


async def test_get_query_with_variables(http: httpx.AsyncClient) -> None:
    params = {"query": "query U($id: ID!) { user(id: $id) { username } }", "operationName": "U",
              "variables": orjson.dumps({"id": "u2"}).decode()}
    reply = await http.get("/graphql", params=params)
    assert reply.status_code == 200
    assert reply.json()["data"] == {"user": {"username": "alan"}}


async def test_mutation_over_get_is_405(http: httpx.AsyncClient, router: CountingRouter) -> None:
    reply = await http.get("/graphql", params={"query": 'mutation { touch(upc: "p1") { upc } }'})
    assert reply.status_code == 405
    assert reply.headers["allow"] == "POST"
    assert router.requests == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ user(id: "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ user(id: 1) { nope } }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query A { reviewCount }", "operationName": "B"}, "BAD_USER_INPUT"),
        ({"query": "query U($id: ID!) { user(id: $id) { id } }", "variables": {"id": [1]}},
         "BAD_USER_INPUT"),
    ],
)
async def test_request_errors_by_media_type(http: httpx.AsyncClient, router: CountingRouter,
                                            body: dict, code: str) -> None:
    strict = await http.post("/graphql", json=body)
    assert (strict.status_code, strict.headers["content-type"]) == (400, GRAPHQL_RESPONSE)
    assert codes(strict) == [code]
    legacy = await http.post("/graphql", json=body, headers={"accept": "application/json"})
    assert (legacy.status_code, legacy.headers["content-type"]) == (200, JSON)
    assert codes(legacy) == [code]
    assert "data" not in strict.json()
    assert router.requests == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"query": ', "not valid JSON"),
        (b'["{ reviewCount }"]', "must be a JSON object"),
        (b'{"qeury": "{ reviewCount }"}', "must have a 'query' string"),
        (b'{"query": "{ reviewCount }", "variables": [7]}', "'variables' must be a JSON object"),
        (b'{"query": "{ reviewCount }", "operationName": 3}', "'operationName' must be a string"),
    ],
)
@pytest.mark.parametrize("accept", ["application/graphql-response+json", "application/json"])
async def test_malformed_requests_are_400(http: httpx.AsyncClient, content: bytes,
                                          message: str, accept: str) -> None:
    reply = await http.post("/graphql", content=content,
                            headers={"content-type": "application/json", "accept": accept})
    assert reply.status_code == 400
    assert message in reply.json()["errors"][0]["message"]
    assert codes(reply) == ["BAD_USER_INPUT"]


async def test_bad_variables_json_in_get_is_400(http: httpx.AsyncClient) -> None:
    reply = await http.get("/graphql", params={"query": QUERY, "variables": "{"})
    assert reply.status_code == 400
    assert "'variables' parameter is not valid JSON" in reply.json()["errors"][0]["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin1", None])
async def test_unsupported_media_type_is_415(http: httpx.AsyncClient,
                                             content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    reply = await http.post("/graphql", content=orjson.dumps({"query": QUERY}), headers=headers)
    assert reply.status_code == 415
    assert codes(reply) == ["BAD_USER_INPUT"]


async def test_oversized_body_is_413(http: httpx.AsyncClient, router: CountingRouter) -> None:
    padding = " " * 2000
    reply = await http.post("/graphql", json={"query": QUERY + padding})
    assert reply.status_code == 413
    assert codes(reply) == ["PAYLOAD_TOO_LARGE"]
    assert "2000-byte limit" in reply.json()["errors"][0]["message"]

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b'{"query": "', b" " * 2500, b'"}'):
            yield chunk

    streamed = await http.post("/graphql", content=chunks(),
                               headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    long_get = await http.get("/graphql", params={"query": QUERY + padding})
    assert long_get.status_code == 413
    assert router.requests == []


async def test_unacceptable_accept_is_406(http: httpx.AsyncClient) -> None:
    reply = await http.post("/graphql", json={"query": QUERY}, headers={"accept": "text/xml"})
    assert reply.status_code == 406


async def test_graphiql_for_browsers(http: httpx.AsyncClient, router: CountingRouter) -> None:
    reply = await http.get("/graphql", headers={
        "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert "graphiql.min.js" in reply.text
    assert 'createFetcher({ url: "/graphql" })' in reply.text
    assert router.requests == []


async def test_graphiql_page_not_served_to_post(http: httpx.AsyncClient) -> None:
    reply = await http.post("/graphql", json={"query": QUERY}, headers={"accept": "text/html"})
    assert reply.status_code == 406


async def test_cors_preflight_for_allowed_origin_only(http: httpx.AsyncClient) -> None:
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "content-type,authorization"}
    allowed = await http.options("/graphql", headers={"origin": ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    refused = await http.options("/graphql", headers={"origin": "https://evil.example",
                                                      **preflight})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    simple = await http.post("/graphql", json={"query": QUERY}, headers={"origin": ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ORIGIN


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")


async def test_not_ready_while_a_subgraph_is_unreachable() -> None:
    partial = in_process_router(["products", "reviews"])
    app = create_gateway_app(Gateway(Supergraph.parse(supergraph_sdl()), partial))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        reply = await client.get("/readyz")
    assert reply.status_code == 503
    assert "subgraph 'users' unavailable" in reply.json()["reasons"]["subgraphs"]


async def test_context_and_auth_shape_hooks(router: CountingRouter) -> None:
    """The auth layer's integration point: a context per request, a shape from each context."""
    gateway = Gateway(Supergraph.parse(supergraph_sdl()), router)

    async def context_for(request: Request) -> dict[str, str]:
        viewer = request.headers.get("x-viewer")
        if viewer is None:
            raise RequestRejected(401, "no viewer", "UNAUTHENTICATED",
                                  {"www-authenticate": "Bearer"})
        return {"viewer": viewer}

    shaped: list[Mapping[str, Any]] = []

    def auth_shape_for(context: Mapping[str, Any]) -> AuthShape:
        shaped.append(context)
        return frozenset()

    endpoint = GraphQLEndpoint(gateway, context_for=context_for, auth_shape_for=auth_shape_for)
    app = Starlette(routes=[graphql_route(endpoint)])
    query = {"query": '{ user(id: "u1") { viewer } }'}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        refused = await client.post("/graphql", json=query)
        grace = await client.post("/graphql", json=query, headers={"x-viewer": "grace"})
        alan = await client.post("/graphql", json=query, headers={"x-viewer": "alan"})
    assert (refused.status_code, codes(refused)) == (401, ["UNAUTHENTICATED"])
    assert refused.headers["www-authenticate"] == "Bearer"
    assert grace.json()["data"] == {"user": {"viewer": "grace"}}
    assert alan.json()["data"] == {"user": {"viewer": "alan"}}
    assert shaped == [{"viewer": "grace"}, {"viewer": "alan"}]


async def test_a_slow_subgraph_gives_partial_data_not_a_failure(router: CountingRouter) -> None:
    gateway = Gateway(Supergraph.parse(supergraph_sdl()), router, request_timeout=0.05)
    app = create_gateway_app(gateway)
    query = {"query": '{ slow(seconds: 1) user(id: "u1") { username } }'}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        strict = await client.post("/graphql", json=query)
        legacy = await client.post("/graphql", json=query, headers={"accept": "application/json"})
    for answer in (strict, legacy):
        assert (answer.status_code, codes(answer)) == (200, ["GATEWAY_TIMEOUT"])
        assert answer.json()["data"] == {"slow": None, "user": {"username": "ada"}}


class _BuggyGateway(Gateway):
    """A gateway with a bug in it."""

    async def execute(self, *_args: object, **_kwargs: object) -> GatewayResult:
        raise RuntimeError("bug inside the gateway")


async def test_a_gateway_bug_is_a_graphql_shaped_500(caplog: pytest.LogCaptureFixture) -> None:
    app = create_gateway_app(_BuggyGateway(Supergraph.parse(supergraph_sdl()), in_process_router()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        reply = await client.post("/graphql", json={"query": QUERY})
    assert (reply.status_code, codes(reply)) == (500, ["INTERNAL_SERVER_ERROR"])
    assert "bug inside the gateway" in caplog.text
