"""The standalone gateway app over the flaky subgraph, and an httpx client for it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette

from gateway.http.app import OnShutdown, create_gateway_app
from gateway.observability import ObservabilitySettings
from gateway.service import Gateway
from gateway.transports.http import HeadersFor
from gateway.transports.router import TransportRouter
from tests.observability.servers import supergraph


def gateway_app(url: str, session: aiohttp.ClientSession, *,
                settings: ObservabilitySettings | None = None,
                tracer_provider: TracerProvider | None = None,
                headers_for: HeadersFor | None = None,
                on_shutdown: OnShutdown | None = None) -> Starlette:
    graph = supergraph(url)
    router = TransportRouter.over_http(graph.subgraphs.values(), session,
                                       headers_for=headers_for)
    return create_gateway_app(Gateway(graph, router), on_shutdown=on_shutdown,
                              observability=settings or ObservabilitySettings(),
                              tracer_provider=tracer_provider)


@asynccontextmanager
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gateway") as http:
        yield http


QUERY = {"query": "query Hello { hello }"}
