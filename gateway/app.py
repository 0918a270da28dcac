"""Assembly of the all-in-one ASGI app that ``loopgate serve`` runs.

One process holds the OAuth server, the gateway and every platform subgraph in-process,
over the live database and its sandbox twin: the default deployment shape (DESIGN.md §2).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from auth.routes import oauth_routes
from auth.service import AuthService
from gateway.authorization.wiring import auth_shape_for, principal_context
from gateway.background import run_jobs_under_lease, run_under_lease
from gateway.config import Settings
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
from gateway.persisted import PersistedOperations
from gateway.platform import (
    compose_platform,
    ensure_platform_indexes,
    platform_jobs,
    platform_router,
    preparing_sandbox,
)
from gateway.service import Gateway
from partners.webhooks.dispatcher import run_dispatcher_forever
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases, SandboxDemo


def create_app(settings: Settings, mongo: Mongo) -> Starlette:
    """The app for one process: OAuth, health, the federated graph over ``mongo``, and the
    webhook dispatcher of each database (shared with every other process and ``loopgate
    worker`` through leases)."""
    auth = AuthService.create(mongo.db, issuer=settings.public_issuer,
                              rate_limits=settings.oauth_rate_limits)
    databases = Databases.beside(mongo.db)
    gateway = Gateway(Supergraph.parse(compose_platform()), platform_router(databases),
                      limits=settings.limits)
    context_for = preparing_sandbox(principal_context(auth.verifier),
                                    SandboxDemo(databases.sandbox, sandbox_steps))
    persisted = PersistedOperations(databases.live, sandbox_db=databases.sandbox,
                                    schema=lambda: gateway.supergraph.api_schema)
    endpoint = GraphQLEndpoint(gateway, context_for=context_for,
                               auth_shape_for=auth_shape_for(lambda: gateway.authorization),
                               caller_for=principal_caller,
                               limits=limits_by_database(settings.limits, databases),
                               persisted=persisted)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await ensure_platform_indexes(databases)
        await persisted.ensure_indexes()
        await auth.start()
        tasks = [asyncio.create_task(run_under_lease(auth.db, "auth-upkeep",
                                                     auth.upkeep_forever)),
                 *(asyncio.create_task(run_jobs_under_lease(on.db, on.jobs,
                                                            (*on.sweeps, sweep_budgets)))
                   for on in platform_jobs(databases)),
                 *(asyncio.create_task(run_dispatcher_forever(db)) for db in databases.each())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await gateway.router.close()

    routes = [
        *health_routes({"database": mongo.ping}),
        *oauth_routes(auth),
        graphql_route(endpoint),
        *graphiql_routes(),
        *payment_notification_routes(databases),
    ]
    middleware = [cors_middleware(settings.cors_origins)] if settings.cors_origins else []
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    instrument(app)
    app.state.settings = settings
    app.state.mongo = mongo
    app.state.databases = databases
    app.state.auth = auth
    app.state.gateway = gateway
    return app
