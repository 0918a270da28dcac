"""The order lists (issue 14, point 6): a merchant's ``orders(filter)`` and a store's board,
by last change (``updatedAt``, ties by id) and only below the feed's watermark
(:mod:`schema.orders.feed`), so a poller never skips a change that commits late; a member's
orders newest first; a courier's open orders."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.orders import feed
from schema.orders.collections import ORDERS

Document = dict[str, Any]
OPEN_FOR_COURIER = ("ACCEPTED", "PREPARING", "OUT_FOR_DELIVERY")


@dataclass(frozen=True, slots=True)
class ChangeQuery:
    """Whose orders (a merchant's, optionally one store's) and which."""

    merchant_id: str
    store_ids: list[str] | None = None
    """Only orders served by one of these stores (a store's board, a store-bound app)."""
    statuses: list[str] | None = None
    channel: str | None = None
    updated_after: datetime | None = None


async def by_last_change(db: AsyncDatabase, query: ChangeQuery,
                         after: tuple[datetime, str] | None, first: int) -> list[Document]:
    """Up to ``first + 1`` orders changed after the cursor, oldest change first."""
    safe = await feed.watermark(db, query.merchant_id)
    window: Document = {"$lt": safe}
    if query.updated_after is not None:
        window["$gt"] = query.updated_after
    filters: Document = {"merchantId": query.merchant_id, "updatedAt": window}
    if query.store_ids is not None:
        filters["storeIds"] = {"$in": query.store_ids}
    if query.statuses:
        filters["status"] = {"$in": query.statuses}
    if query.channel:
        filters["channel"] = query.channel
    if after is not None:
        at, order_id = after
        filters = {"$and": [filters, {"$or": [
            {"updatedAt": {"$gt": at}}, {"updatedAt": at, "_id": {"$gt": order_id}}]}]}
    return await db[ORDERS].find(filters).sort([("updatedAt", 1), ("_id", 1)]).limit(
        first + 1).to_list()


async def member_orders(db: AsyncDatabase, member_id: str, merchant_id: str | None,
                        before: str | None, first: int) -> list[Document]:
    """A member's orders newest first (by id); only ``merchant_id``'s when given."""
    filters: Document = {"memberId": member_id}
    if merchant_id is not None:
        filters["merchantId"] = merchant_id
    if before is not None:
        filters["_id"] = {"$lt": before}
    return await db[ORDERS].find(filters).sort("_id", -1).limit(first + 1).to_list()


async def courier_orders(db: AsyncDatabase, courier_id: str) -> list[Document]:
    """The courier's open orders (assigned, not yet delivered), oldest first."""
    return await db[ORDERS].find({"courierId": courier_id,
                                  "status": {"$in": list(OPEN_FOR_COURIER)}}).sort(
        "_id", 1).limit(100).to_list()
