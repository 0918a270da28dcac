"""The merchant pages' routes, for :func:`gateway.console.routes.console_routes`."""

from __future__ import annotations

from starlette.routing import Route

from gateway.console.merchant.board import board_routes
from gateway.console.merchant.campaigns import campaign_routes
from gateway.console.merchant.desk import desk_routes
from gateway.console.merchant.redeem import redeem_routes
from gateway.console.visit import ConsoleSetup


def merchant_routes(setup: ConsoleSetup) -> list[Route]:
    """The campaign dashboard, the store desk, order boards and the redemption screen (their
    navigation entries are added as the routes are made)."""
    return [*campaign_routes(setup), *desk_routes(setup), *board_routes(setup),
            *redeem_routes(setup)]
