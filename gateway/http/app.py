"""The standalone gateway app (``loopgate gateway``): ``/graphql``, ``/healthz``, ``/readyz``,
``/metrics``.

Callers are trusted unless ``context_for``/``auth_shape_for`` are given: the CLI passes the
bearer-token verification and field authorization of :mod:`gateway.standalone` when it runs
with ``--jwks``, the same pieces ``loopgate serve`` uses (:mod:`gateway.app`).

Readiness means every subgraph of the current supergraph answers ``{ __typename }``, checked
concurrently, so a load balancer stops routing to a gateway whose subgraphs are down.
The app is observed (:func:`gateway.observability.instrument`): request ids, metrics, traces
when configured, and draining on shutdown.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from gateway.health import health_routes
from gateway.http.endpoint import AuthShapeFor, ContextFor, GraphQLEndpoint, LimitsFor
from gateway.http.graphiql import graphiql_routes
from gateway.limits.budget import AppLimits
from gateway.limits.caller import CallerFor
from gateway.observability import ObservabilitySettings, instrument
from gateway.persisted import PersistedOperations
from gateway.service import Gateway

OnShutdown = Callable[[], Awaitable[None]]


def graphql_route(endpoint: GraphQLEndpoint, path: str = "/graphql") -> Route:
    """The GraphQL-over-HTTP route (GET and POST) serving ``endpoint``."""
    return Route(path, endpoint.handle, methods=["GET", "POST"])


def cors_middleware(origins: Sequence[str]) -> Middleware:
    """CORS for browser apps (PKCE flows) from the configured origins only."""
    return Middleware(CORSMiddleware, allow_origins=list(origins),
                      allow_methods=["GET", "POST"],
                      allow_headers=["authorization", "content-type", "accept",
                                     "graphql-require-preflight"],
                      max_age=600)


def subgraphs_ready(gateway: Gateway) -> Callable[[], Awaitable[None]]:
    """A readiness check probing every subgraph of the gateway's current supergraph."""

    async def check() -> None:
        router = gateway.router
        names = sorted(gateway.supergraph.subgraphs)
        results = await asyncio.gather(*(router.probe(name) for name in names),
                                       return_exceptions=True)
        failed = [str(result) for result in results if isinstance(result, BaseException)]
        if failed:
            raise ConnectionError("; ".join(failed))

    return check


def create_gateway_app(
    gateway: Gateway,
    *,
    cors_origins: Sequence[str] = (),
    max_body_bytes: int | None = None,
    on_shutdown: OnShutdown | None = None,
    context_for: ContextFor | None = None,
    auth_shape_for: AuthShapeFor | None = None,
    caller_for: CallerFor | None = None,
    limits: AppLimits | LimitsFor | None = None,
    persisted: PersistedOperations | None = None,
    observability: ObservabilitySettings | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """The app serving ``gateway``; ``on_shutdown`` releases what the caller opened.

    ``context_for`` (may refuse a request, e.g. 401) and ``auth_shape_for`` (field
    authorization, part of the plan-cache key) are :class:`GraphQLEndpoint`'s; without them
    every caller is trusted and no field is guarded. ``caller_for`` names the app each
    request counts against for its limits (default: one per address); ``limits`` are the
    apps' cost budgets and in-flight allowances (default: in this process's memory);
    ``persisted`` resolves persisted queries and safelists (default: none).
    ``observability`` and ``tracer_provider`` default to the environment's
    (``LOOPGATE_*`` and ``OTEL_*``).
    """

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await gateway.router.close()
        if on_shutdown is not None:
            await on_shutdown()

    endpoint = GraphQLEndpoint(gateway, max_body_bytes=max_body_bytes, context_for=context_for,
                               auth_shape_for=auth_shape_for, caller_for=caller_for,
                               limits=limits, persisted=persisted)
    routes = [*health_routes({"subgraphs": subgraphs_ready(gateway)}), graphql_route(endpoint),
              *graphiql_routes()]
    middleware = [cors_middleware(cors_origins)] if cors_origins else []
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    instrument(app, observability, tracer_provider=tracer_provider)
    return app
