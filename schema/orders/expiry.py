"""Unpaid orders lapse after :data:`UNPAID_FOR` (issue 14, point 3): a sweep cancels them
(actor SYSTEM) and their stock goes back.

Each order being placed or waiting for payment has an entry here (its lines and stores, and
when it lapses), so the sweep reads only those, never all orders. The entry is written
before the stock is held: if the placing process dies after the hold, the sweep still
releases it (there is no order to cancel then).
"""

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.reservations import Line, release
from schema.kernel.time import utcnow
from schema.orders.collections import EXPIRIES, ORDERS
from schema.orders.machine import Actor

Document = dict[str, Any]
UNPAID_FOR = timedelta(minutes=15)


async def get_entry(db: AsyncDatabase, order_id: str) -> Document | None:
    return await db[EXPIRIES].find_one({"_id": order_id})


async def open_entry(db: AsyncDatabase, order_id: str, merchant_id: str, lines: list[Line],
                     now: datetime, attempt: int) -> None:
    await db[EXPIRIES].replace_one({"_id": order_id}, {
        "merchantId": merchant_id, "dueAt": now + UNPAID_FOR, "attempt": attempt,
        "lines": [{"store_id": line.store_id, "product_id": line.product_id,
                   "quantity": line.quantity} for line in lines]}, upsert=True)


async def mark_placed(db: AsyncDatabase, order_id: str) -> None:
    await db[EXPIRIES].update_one({"_id": order_id}, {"$set": {"placed": True}})


async def drop_entry(db: AsyncDatabase, order_id: str) -> None:
    await db[EXPIRIES].delete_one({"_id": order_id})


async def sweep_unpaid(db: AsyncDatabase, now: datetime | None = None) -> int:
    """Cancel the orders still unpaid past their time; release the stock of placements that
    died before writing their order. Returns how many entries were handled."""
    from schema.orders.transitions import transition

    due = await db[EXPIRIES].find({"dueAt": {"$lt": now or utcnow()}}).limit(500).to_list()
    for entry in due:
        order = await db[ORDERS].find_one({"_id": entry["_id"]}, {"status": 1})
        if order is None:
            await release(db, entry["_id"], [Line(**line) for line in entry["lines"]])
            await drop_entry(db, entry["_id"])
        elif order["status"] == "CREATED":
            await transition(db, entry["_id"], "CANCELED", frozenset((Actor.SYSTEM,)),
                             "unpaid: expired", f"order-expired:{entry['_id']}")
        else:
            await drop_entry(db, entry["_id"])
    return len(due)
