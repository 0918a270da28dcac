"""Assembly of the all-in-one ASGI app that ``loopgate serve`` runs.

One process holds the OAuth server, the gateway and every platform subgraph in-process,
over one database: the default deployment shape (DESIGN.md §2).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from auth.routes import oauth_routes
from auth.service import AuthService
from gateway.authorization.wiring import auth_shape_for, principal_context
from gateway.background import run_jobs_forever
from gateway.config import Settings
from gateway.federation import Supergraph
from gateway.health import health_routes
from gateway.http.app import cors_middleware, graphql_route
from gateway.http.endpoint import GraphQLEndpoint
from gateway.http.graphiql import graphiql_routes
from gateway.platform import (
    PLATFORM_SUBGRAPHS,
    compose_platform,
    platform_indexes,
    platform_router,
)
from gateway.service import Gateway
from schema.kernel.indexes import ensure_indexes
from schema.kernel.mongo import Mongo


def create_app(settings: Settings, mongo: Mongo) -> Starlette:
    """The app for one process: OAuth, health and the federated graph over ``mongo``."""
    auth = AuthService.create(mongo.db, issuer=settings.public_issuer,
                              rate_limits=settings.oauth_rate_limits)
    gateway = Gateway(Supergraph.parse(compose_platform()), platform_router(mongo.db))
    endpoint = GraphQLEndpoint(gateway, context_for=principal_context(auth.verifier),
                               auth_shape_for=auth_shape_for(lambda: gateway.authorization))
    jobs = list(dict.fromkeys(job for subgraph in PLATFORM_SUBGRAPHS for job in subgraph.jobs))
    sweeps = list(dict.fromkeys(sweep for subgraph in PLATFORM_SUBGRAPHS
                                for sweep in subgraph.sweeps))

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await ensure_indexes(mongo.db, platform_indexes())
        await auth.start()
        tasks = [asyncio.create_task(auth.upkeep_forever()),
                 asyncio.create_task(run_jobs_forever(mongo.db, jobs, sweeps))]
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
    ]
    middleware = [cors_middleware(settings.cors_origins)] if settings.cors_origins else []
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.mongo = mongo
    app.state.auth = auth
    app.state.gateway = gateway
    return app
