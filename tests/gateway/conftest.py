"""Fixtures of the gateway tests: the test subgraphs in-process and over real HTTP.

The ``router`` fixture is parametrized over both transports, so every test that uses it
runs the same behaviour against in-process and HTTP subgraphs (STYLE.md).
"""

import gzip
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import brotli
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from gateway.federation import Supergraph
from gateway.service import Gateway
from gateway.transports import (
    HttpTransport,
    InProcessTransport,
    SubgraphRequest,
    TransportRouter,
    http_session,
)
from tests.gateway.servers import serving
from tests.gateway.subgraphs import SCHEMAS, viewer_context


async def _echo(request: Request) -> Response:
    """Replies with the request it got, as a GraphQL response."""
    body = orjson.loads(await request.body())
    return Response(orjson.dumps({"data": {"headers": dict(request.headers), "body": body}}),
                    media_type="application/json")


async def _brotli(_request: Request) -> Response:
    payload = brotli.compress(orjson.dumps({"data": {"compressed": "br"}}))
    return Response(payload, media_type="application/json",
                    headers={"content-encoding": "br"})


async def _gzip(_request: Request) -> Response:
    payload = gzip.compress(orjson.dumps({"data": {"compressed": "gzip"}}))
    return Response(payload, media_type="application/json",
                    headers={"content-encoding": "gzip"})


async def _not_json(_request: Request) -> Response:
    return Response(b"<html>oops</html>", media_type="text/html")


async def _graphql_400(_request: Request) -> Response:
    return Response(orjson.dumps({"errors": [{"message": "bad operation"}]}), status_code=400,
                    media_type="application/graphql-response+json")


def subgraphs_app() -> Starlette:
    routes = [Route(f"/{name}", GraphQL(schema, graphql_ide=None), methods=["GET", "POST"])
              for name, schema in SCHEMAS.items()]
    routes += [Route("/echo", _echo, methods=["POST"]), Route("/brotli", _brotli, methods=["POST"]),
               Route("/gzip", _gzip, methods=["POST"]),
               Route("/not-json", _not_json, methods=["POST"]),
               Route("/graphql-400", _graphql_400, methods=["POST"])]
    return Starlette(routes=routes)


@pytest.fixture(scope="session")
def subgraph_base_url() -> Iterator[str]:
    """The test subgraphs (and a few odd endpoints) on a real loopback port."""
    with serving(subgraphs_app()) as url:
        yield url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with http_session(timeout=5.0) as pooled:
        yield pooled


def in_process_router(names: Iterable[str] = tuple(SCHEMAS)) -> TransportRouter:
    """In-process transports for the named test subgraphs (by default all three)."""
    return TransportRouter({
        name: InProcessTransport(SCHEMAS[name]._schema,
                                 viewer_context if name == "users" else dict)
        for name in names})


def http_router(base_url: str, session: aiohttp.ClientSession) -> TransportRouter:
    return TransportRouter({name: HttpTransport(name, f"{base_url}/{name}", session=session)
                            for name in SCHEMAS})


@pytest.fixture(params=["in_process", "http"])
def router(request: pytest.FixtureRequest, subgraph_base_url: str,
           session: aiohttp.ClientSession) -> TransportRouter:
    """The three test subgraphs behind each kind of transport in turn."""
    if request.param == "in_process":
        return in_process_router()
    return http_router(subgraph_base_url, session)


SUPERGRAPH = Path(__file__).with_name("supergraph.graphql")
_COMPOSED_BASE_URL = "http://127.0.0.1:4101"


def supergraph_sdl(base_url: str = _COMPOSED_BASE_URL) -> str:
    """The test supergraph with its subgraph URLs pointing at ``base_url``."""
    return SUPERGRAPH.read_text().replace(_COMPOSED_BASE_URL, base_url)


class CountingRouter(TransportRouter):
    """A router that records every subgraph request it routes."""

    def __init__(self, inner: TransportRouter) -> None:
        super().__init__({})
        self.inner = inner
        self.requests: list[SubgraphRequest] = []

    async def fetch(self, request: SubgraphRequest) -> Mapping[str, Any]:
        self.requests.append(request)
        return await self.inner.fetch(request)


@pytest.fixture
def counting_router(router: TransportRouter) -> CountingRouter:
    return CountingRouter(router)


@pytest.fixture
def gateway(counting_router: CountingRouter, subgraph_base_url: str) -> Gateway:
    """The gateway over the test supergraph, through each transport in turn."""
    return Gateway(Supergraph.parse(supergraph_sdl(subgraph_base_url)), counting_router)
