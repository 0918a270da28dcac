"""``Subscription.orderStatusChanged``: an order each time its status moves (issue #17).

Fed by the ``order.status_changed`` events of the caller's partner feed
(:mod:`schema.kernel.subscriptions`): the merchant's apps get every order of theirs, a
placing partner the orders it placed (its copy of the event). Who may subscribe follows the
queries: ``orders:read``; ``storeId`` for the store's own merchant's apps (bound to that
store if bound), ``orderId`` for whoever may see that order (:func:`schema.orders.access.
may_see`); each delivery is checked the same way, so a store-bound app never sees another
store's order. The order is delivered as it stood after the event (status and history up to
it; the rest as it is now), so a replay with ``after`` shows each step, not the latest state
again.
"""

from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.federation.schema_directives import RequiresScopes

from schema.kernel.context import SubgraphContext
from schema.kernel.errors import ErrorCode, bad_user_input, graphql_error, id_argument
from schema.kernel.principal import Principal
from schema.kernel.subscriptions import follow, record
from schema.kernel.time import as_utc
from schema.orders.access import courier_of, may_see
from schema.orders.documents import get_order
from schema.orders.types import Order
from schema.stores.read import get_store

TOPIC = "order.status_changed"

Document = dict[str, Any]


def as_of(doc: Document, occurred_at: datetime) -> Document:
    """The order as it stood right after the change at ``occurred_at``: its history up to
    that change, its status then."""
    at = as_utc(occurred_at)
    history = [h for h in doc["history"] if as_utc(h["at"]) <= at] or doc["history"][:1]
    return {**doc, "history": history, "status": history[-1]["status"],
            "updatedAt": min(as_utc(doc["updatedAt"]), at)}


async def _check_store(context: SubgraphContext, principal: Principal, store_id: str) -> None:
    store = await get_store(context.db, store_id)
    if (store is None or principal.member_id is not None or courier_of(principal) is not None
            or not principal.owns(store["partnerId"]) or not principal.may_act_at(store_id)):
        raise graphql_error("not one of your stores: its orders are its merchant's",
                            ErrorCode.FORBIDDEN, argument="storeId")


async def _check_order(context: SubgraphContext, principal: Principal, order_id: str) -> None:
    order = await get_order(context.db, order_id)
    if order is None or not may_see(principal, order):
        raise graphql_error("not an order you may see", ErrorCode.FORBIDDEN,
                            argument="orderId")


async def _deliveries(context: SubgraphContext, principal: Principal,
                      events: AsyncIterator[Document], store_id: str | None
                      ) -> AsyncIterator[Order]:
    async for event in events:
        doc = await get_order(context.db, event["resource"]["id"])
        if doc is None or not may_see(principal, doc):
            continue
        if store_id is not None and store_id not in doc["storeIds"]:
            continue
        record(context.request, event)
        yield Order.of(as_of(doc, event["occurredAt"]))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        directives=[RequiresScopes(scopes=[["orders:read"]])],
        description="An order each time its status moves: a store's orders (storeId) or one "
                    "order (orderId), exactly one of them. after: the last event id received "
                    "(the delivery's extensions.eventId); the events still retained since are "
                    "sent first.")
    async def order_status_changed(self, info: strawberry.Info,
                                   store_id: strawberry.ID | None = None,
                                   order_id: strawberry.ID | None = None,
                                   after: strawberry.ID | None = None
                                   ) -> AsyncGenerator[Order, None]:
        context: SubgraphContext = info.context
        principal = context.require("orders:read")
        partner_id = principal.require_partner()
        if (store_id is None) == (order_id is None):
            raise bad_user_input("give exactly one of storeId and orderId")
        store = id_argument(store_id, "sto", "storeId") if store_id is not None else None
        order = id_argument(order_id, "ord", "orderId") if order_id is not None else None
        if store is not None:
            await _check_store(context, principal, store)
        if order is not None:
            await _check_order(context, principal, order)

        def match(event: Document) -> bool:
            return event["topic"] == TOPIC and (order is None
                                                or event["resource"]["id"] == order)

        events = await follow(context.db, partner_id, match,
                              str(after) if after is not None else None)
        return _deliveries(context, principal, events, store)
