"""Fixtures of the gateway tests: the test subgraphs in-process and over real HTTP.

The ``router`` fixture is parametrized over both transports, so every test that uses it
runs the same behaviour against in-process and HTTP subgraphs (STYLE.md).
"""

from collections.abc import AsyncIterator, Iterator

import brotli
import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from gateway.transports import HttpTransport, InProcessTransport, TransportRouter, http_client
from tests.gateway.servers import serving
from tests.gateway.subgraphs import SCHEMAS, viewer_context


async def _echo(request: Request) -> Response:
    """Replies with the request it got, as a GraphQL response."""
    body = orjson.loads(await request.body())
    return Response(orjson.dumps({"data": {"headers": dict(request.headers), "body": body}}),
                    media_type="application/json")


async def _brotli(_request: Request) -> Response:
    payload = brotli.compress(orjson.dumps({"data": {"compressed": True}}))
    return Response(payload, media_type="application/json",
                    headers={"content-encoding": "br"})


async def _not_json(_request: Request) -> Response:
    return Response(b"<html>oops</html>", media_type="text/html")


async def _graphql_400(_request: Request) -> Response:
    return Response(orjson.dumps({"errors": [{"message": "bad operation"}]}), status_code=400,
                    media_type="application/graphql-response+json")


def subgraphs_app() -> Starlette:
    routes = [Route(f"/{name}", GraphQL(schema, graphql_ide=None), methods=["GET", "POST"])
              for name, schema in SCHEMAS.items()]
    routes += [Route("/echo", _echo, methods=["POST"]), Route("/brotli", _brotli, methods=["POST"]),
               Route("/not-json", _not_json, methods=["POST"]),
               Route("/graphql-400", _graphql_400, methods=["POST"])]
    return Starlette(routes=routes)


@pytest.fixture(scope="session")
def subgraph_base_url() -> Iterator[str]:
    """The test subgraphs (and a few odd endpoints) on a real loopback port."""
    with serving(subgraphs_app()) as url:
        yield url


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(timeout=5.0) as pooled:
        yield pooled


def in_process_router() -> TransportRouter:
    return TransportRouter({
        name: InProcessTransport(schema._schema,
                                 viewer_context if name == "users" else dict)
        for name, schema in SCHEMAS.items()})


def http_router(base_url: str, client: httpx.AsyncClient) -> TransportRouter:
    return TransportRouter({name: HttpTransport(name, f"{base_url}/{name}", client=client)
                            for name in SCHEMAS})


@pytest.fixture(params=["in_process", "http"])
def router(request: pytest.FixtureRequest, subgraph_base_url: str,
           client: httpx.AsyncClient) -> TransportRouter:
    """The three test subgraphs behind each kind of transport in turn."""
    if request.param == "in_process":
        return in_process_router()
    return http_router(subgraph_base_url, client)
