"""Reading and writing order documents: point reads, and every change as one claimed write
(:func:`schema.kernel.claims.update_claimed`) that appends its event, under a feed lease."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.events import append_event, mark_pending, pending_marker
from schema.kernel.time import to_iso
from schema.orders import feed
from schema.orders.collections import ORDERS

Document = dict[str, Any]
RESOURCE = "Order"


async def get_order(db: AsyncDatabase, order_id: str) -> Document | None:
    return await db[ORDERS].find_one({"_id": order_id})


def placer(order: Document) -> str | None:
    """The partner whose app placed the order: it gets a copy of the order's events when it
    is not the merchant (DESIGN.md §7; it sees the whole order, :mod:`schema.orders.access`)."""
    return (order.get("placedBy") or {}).get("partnerId")


def status_event(current: Document, target: str, actor: str, note: str | None,
                 now: datetime) -> Document:
    """The fields that move ``current`` to ``target``: status, history, updatedAt and the
    ``order.status_changed`` event (a copy for the partner that placed it, :func:`placer`)."""
    data = {"orderId": current["_id"], "from": current["status"], "to": target,
            "actor": actor, "note": note, "at": to_iso(now)}
    return {"status": target, "updatedAt": now,
            "history": [*current["history"], {"status": target, "at": now, "actor": actor,
                                               "note": note}],
            **append_event(current, "order.status_changed", current["merchantId"], RESOURCE,
                           current["_id"], data, now, also_for=[placer(current)])}


async def write(db: AsyncDatabase, merchant_id: str, order_id: str,
                change: Callable[[Document | None], Document | None]) -> Document | None:
    """Apply ``change`` to the order in one claimed write (None: nothing written), with its
    pending-event markers and the merchant's feed lease around it."""
    marker = [pending_marker(ORDERS, order_id)]
    async with feed.writing(db, merchant_id):
        await mark_pending(db, marker)
        written = await update_claimed(db[ORDERS], db, order_id, change)
    if written is not None:
        await mark_pending(db, marker)
    return written
