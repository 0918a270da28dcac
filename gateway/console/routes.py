"""All console routes, for ``create_app`` to mount: ``routes=[…, *console_routes(…)]``.

The console client registers itself on the first sign-in (:func:`auth.console_client.
ensure_console_client`), so nothing needs to run in the app's lifespan; expired sessions are
swept by the auth upkeep with the other expiring auth documents.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Route

from auth.service import AuthService
from gateway.console.api import api_routes
from gateway.console.assets import asset_routes
from gateway.console.home import home_routes
from gateway.console.merchant.routes import merchant_routes
from gateway.console.portal.apps import app_routes
from gateway.console.portal.graphiql import graphiql_routes
from gateway.console.portal.schema_reference import schema_routes
from gateway.console.portal.subgraphs import subgraph_routes
from gateway.console.portal.team import team_routes
from gateway.console.portal.usage import usage_routes
from gateway.console.portal.webhooks import webhook_routes
from gateway.console.sessions import ConsoleSessions
from gateway.console.signin import signin_routes
from gateway.console.visit import ConsoleSetup
from gateway.federation import Supergraph


def console_routes(auth: AuthService, supergraph: Callable[[], Supergraph],
                   platform_partner_id: str) -> list[Route]:
    """The console at ``/console``; ``supergraph`` gives the live graph now (the schema
    reference follows hot reloads); ``platform_partner_id`` owns the console client."""
    setup = ConsoleSetup(auth, ConsoleSessions(auth.db), platform_partner_id, supergraph)
    return [*asset_routes(), *signin_routes(setup), *api_routes(setup), *home_routes(setup),
            *app_routes(setup), *webhook_routes(setup), *subgraph_routes(setup),
            *usage_routes(setup), *graphiql_routes(setup), *schema_routes(setup),
            *team_routes(setup), *merchant_routes(setup)]
