"""``Subscription.inventoryLow``: a store's stock level each time a product there drops below
its low-stock threshold (issue #17).

Fed by the ``inventory.low_stock`` events of the caller's partner feed
(:mod:`schema.kernel.subscriptions`) that name the store. Who may subscribe follows
``Query.inventoryChanges``: ``inventory:read``, the store's own merchant's apps (bound to the
store if bound). Each delivery is the row's level as it is when delivered.
"""

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import strawberry
from strawberry.federation.schema_directives import RequiresScopes

from schema.catalog.collections import INVENTORY
from schema.catalog.levels import InventoryLevel
from schema.kernel.context import SubgraphContext
from schema.kernel.errors import ErrorCode, graphql_error, id_argument
from schema.kernel.subscriptions import follow, record
from schema.stores import read as stores

TOPIC = "inventory.low_stock"

Document = dict[str, Any]


async def _deliveries(context: SubgraphContext,
                      events: AsyncIterator[Document]) -> AsyncIterator[InventoryLevel]:
    async for event in events:
        row = await context.db[INVENTORY].find_one({"_id": event["resource"]["id"]})
        if row is None:
            continue
        record(context.request, event)
        yield InventoryLevel.from_row(row)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        directives=[RequiresScopes(scopes=[["inventory:read"]])],
        description="A store's stock level each time a product there drops below its "
                    "low-stock threshold (the store's merchant's apps; inventory:read). after: "
                    "the last event id received (the delivery's extensions.eventId); the events "
                    "still retained since are sent first.")
    async def inventory_low(self, info: strawberry.Info, store_id: strawberry.ID,
                            after: strawberry.ID | None = None
                            ) -> AsyncGenerator[InventoryLevel, None]:
        context: SubgraphContext = info.context
        principal = context.require("inventory:read")
        partner_id = principal.require_partner()
        wanted = id_argument(store_id, "sto", "storeId")
        store = await stores.get_store(context.db, wanted)
        if (store is None or store["partnerId"] != partner_id
                or not principal.may_act_at(wanted)):
            raise graphql_error("not one of your stores", ErrorCode.FORBIDDEN,
                                argument="storeId")

        def match(event: Document) -> bool:
            return (event["topic"] == TOPIC
                    and (event.get("data") or {}).get("storeId") == wanted)

        events = await follow(context.db, partner_id, match,
                              str(after) if after is not None else None)
        return _deliveries(context, events)
