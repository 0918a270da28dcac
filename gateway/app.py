"""Assembly of the all-in-one ASGI app that ``loopgate serve`` runs.

One process holds the OAuth server, the gateway and every platform subgraph in-process,
over the live database and its sandbox twin: the default deployment shape (DESIGN.md §2).
It serves two graphs (:mod:`gateway.partner_graph`): the live one and the sandbox one, each
the platform plus the partner subgraphs registered in its database; a sandbox token gets the
sandbox graph. Partner subgraphs are called over HTTP with a ``Loopgate-Context`` token
signed with the auth service's keys.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from auth.context import ContextTokenSigner
from auth.routes import oauth_routes
from auth.service import AuthService
from gateway.authorization.requirements import AuthShape
from gateway.authorization.wiring import principal_context, principal_of
from gateway.background import run_jobs_under_lease, run_under_lease
from gateway.config import Settings
from gateway.console.routes import console_routes
from gateway.demo import sandbox_steps
from gateway.federation import Supergraph
from gateway.health import health_routes
from gateway.http.app import cors_middleware, graphql_route
from gateway.http.endpoint import GraphQLEndpoint
from gateway.http.graphiql import graphiql_routes
from gateway.http.payment_notifications import payment_notification_routes
from gateway.limits.budget import limits_by_database, sweep_budgets
from gateway.limits.caller import principal_caller
from gateway.observability import instrument
from gateway.partner_graph.graphs import Graph, Graphs, sandbox_caller
from gateway.partner_graph.routing import GraphRouters, PartnerTransports
from gateway.partner_graph.startup import Compose
from gateway.persisted import PersistedOperations
from gateway.persisted.resolve import SchemaFor
from gateway.platform import (
    compose_platform,
    ensure_platform_indexes,
    platform_jobs,
    platform_transports,
    preparing_sandbox,
)
from gateway.service import Gateway
from gateway.subscriptions import Subscriptions, subscription_routes
from partners.demo import PLATFORM_SLUG, demo_partner_id
from partners.usage import UsageRecorder, run_usage_flusher
from partners.webhooks.dispatcher import Dispatcher, stop_within
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases, SandboxDemo

SANDBOX_CACHE_SIZE = 256
"""Plan and document cache entries of the sandbox graph's own gateway (test traffic)."""
DISPATCHER_DRAIN_S = 5.0
"""On shutdown, how long the webhook deliveries in flight may take to finish (within the
graceful-shutdown budget); what is still unfinished is sent again by another process."""


def create_app(settings: Settings, mongo: Mongo, *, compose: Compose | None = None) -> Starlette:
    """The app for one process: OAuth, health, the live and sandbox graphs over ``mongo``,
    and the webhook dispatcher of each database (shared with every other process and
    ``loopgate worker`` through leases).

    With ``compose`` (``loopgate serve``: :func:`partners.subgraphs.compose_graph`) each
    graph is composed from its database's partner subgraphs and published at start-up,
    before the first request, then follows its database's supergraph versions
    (:meth:`Graphs.start`); without it both graphs serve this build's platform supergraph.
    """
    auth = AuthService.create(mongo.db, issuer=settings.public_issuer,
                              rate_limits=settings.oauth_rate_limits)
    databases = Databases.beside(mongo.db)
    platform_sdl = compose_platform()
    platform = Supergraph.parse(platform_sdl)
    transports = platform_transports(databases)
    partners = PartnerTransports(ContextTokenSigner(auth.keyring, auth.issuer))

    def graph(name: str, db: AsyncDatabase, cache_size: int) -> Graph:
        routers = GraphRouters(transports, partners)
        return Graph(name, db, Gateway(platform, routers.router_for(platform),
                                       limits=settings.limits, plan_cache_size=cache_size,
                                       document_cache_size=cache_size), routers)

    graphs = Graphs(graph("live", databases.live, 1024),
                    graph("sandbox", databases.sandbox, SANDBOX_CACHE_SIZE))
    context_for = preparing_sandbox(principal_context(auth.verifier),
                                    SandboxDemo(databases.sandbox, sandbox_steps))

    def persisted(schema: SchemaFor) -> PersistedOperations:
        return PersistedOperations(databases.live, sandbox_db=databases.sandbox, schema=schema)

    live_persisted = persisted(lambda: graphs.live.gateway.supergraph.api_schema)
    sandbox_persisted = persisted(lambda: graphs.sandbox_gateway().supergraph.api_schema)
    usage = UsageRecorder()
    limits_for = limits_by_database(settings.limits, databases)

    def auth_shape_for(context: Mapping[str, Any]) -> AuthShape:
        return graphs.gateway_for(context).authorization.shape(principal_of(context))

    endpoint = GraphQLEndpoint(
        graphs.live.gateway, usage=usage, context_for=context_for, gateway_for=graphs.gateway_for,
        auth_shape_for=auth_shape_for, caller_for=principal_caller, limits=limits_for,
        persisted=lambda context: sandbox_persisted if sandbox_caller(context)
        else live_persisted)
    subscriptions = Subscriptions(
        gateway_for=graphs.gateway_for, context_for=context_for, auth_shape_for=auth_shape_for,
        caller_for=principal_caller, limits_for=limits_for,
        max_body_bytes=settings.limits.body_bytes)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await ensure_platform_indexes(databases)
        await live_persisted.ensure_indexes()
        await auth.start()
        followers = await graphs.start(compose, platform_sdl) if compose is not None else []
        dispatchers = [Dispatcher(db) for db in databases.each()]
        dispatching = [asyncio.create_task(d.run_forever()) for d in dispatchers]
        tasks = [*(asyncio.create_task(follower) for follower in followers),
                 asyncio.create_task(run_under_lease(auth.db, "auth-upkeep",
                                                     auth.upkeep_forever)),
                 *(asyncio.create_task(run_jobs_under_lease(on.db, on.jobs,
                                                            (*on.sweeps, sweep_budgets)))
                   for on in platform_jobs(databases)),
                 asyncio.create_task(run_usage_flusher(usage, databases.live))]
        try:
            yield
        finally:
            await stop_within(dispatchers, dispatching, DISPATCHER_DRAIN_S)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await partners.close()

    routes = [
        *health_routes({"database": mongo.ping}),
        *oauth_routes(auth),
        graphql_route(endpoint),
        *subscription_routes(subscriptions),
        *graphiql_routes(),
        *payment_notification_routes(databases),
        *console_routes(auth, lambda: graphs.live.gateway.supergraph,
                        demo_partner_id(PLATFORM_SLUG)),
    ]
    middleware = [cors_middleware(settings.cors_origins)] if settings.cors_origins else []
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    instrument(app)
    app.state.settings = settings
    app.state.mongo = mongo
    app.state.databases = databases
    app.state.auth = auth
    app.state.gateway = graphs.live.gateway
    app.state.graphs = graphs
    app.state.usage = usage
    app.state.subscriptions = subscriptions
    return app
