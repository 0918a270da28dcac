"""What a status change sets off, done after its write and repeatable (issue 14, points 3, 4
and 7): decided from the order's state alone, each step named after the order so a repeat
does nothing twice.

- CANCELED or REFUNDED before completion: the stock is released; a canceled order that was
  paid has its payments refunded, then moves to REFUNDED (SYSTEM); a refused refund leaves
  the order CANCELED and its marker for the sweep to try again.
- COMPLETED: the stock is taken off ``onHand`` (the catalogue's ``commit``) and a member
  earns points by the merchant's earn rule (``earnPoints`` keyed by the order).
- REFUNDED after completion: the payments are refunded and the points reversed.
- Anything past CREATED: the order no longer expires.

A writer marks the order *due* (one marker per operation) before its write and removes the
marker once this has run; :func:`sweep_due` finishes orders whose marker a dead writer left.
"""

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from ulid import ULID

from schema.catalog.reservations import Line, commit, release
from schema.kernel.claims import update_claimed
from schema.kernel.money import Money
from schema.kernel.time import utcnow
from schema.membership.points import earn_points, reverse_points
from schema.orders import expiry
from schema.orders.collections import FOLLOWUPS as DUE
from schema.orders.collections import ORDERS
from schema.orders.machine import Actor
from schema.payments.read import get_payment
from schema.payments.refunds import RefundRequest, refund_payment

Document = dict[str, Any]
SETTLE_AFTER = timedelta(minutes=2)


async def due(db: AsyncDatabase, order_id: str) -> str:
    marker = f"{order_id}:{ULID()}"
    await db[DUE].insert_one({"_id": marker, "orderId": order_id, "at": utcnow()})
    return marker


async def done(db: AsyncDatabase, marker: str) -> None:
    await db[DUE].delete_one({"_id": marker})


def _lines(order: Document) -> list[Line]:
    return [Line(store_id=line["storeId"], product_id=line["productId"],
                 quantity=line["quantity"]) for line in order["lines"]]


def _was(order: Document, status: str) -> bool:
    return any(change["status"] == status for change in order["history"])


async def refund_payment_of(db: AsyncDatabase, order: Document, payment_id: str) -> bool:
    """Refund what is left of one of the order's payments (named by order and payment, so
    once); False when the refund was refused (tried again by the sweep)."""
    payment = await get_payment(db, payment_id)
    if payment is None or payment["status"] != "SUCCEEDED":
        return True
    left = payment["amount"] - payment.get("amountRefunded", 0)
    if left <= 0:
        return True
    refunded = await refund_payment(db, payment, RefundRequest(
        payment_id, Money(left, payment["currency"]), f"order {order['_id']} "
        f"{order['status'].lower()}"), f"order-refund:{order['_id']}:{payment_id}")
    return not refunded["userErrors"]


async def _refund_payments(db: AsyncDatabase, order: Document) -> bool:
    refunded = [await refund_payment_of(db, order, p) for p in order.get("paymentIds", [])]
    return all(refunded)


async def _set(db: AsyncDatabase, order_id: str, fields: Document) -> None:
    """Bookkeeping on the order that is no change a partner sees (no event, same updatedAt)."""
    await update_claimed(db[ORDERS], db, order_id,
                         lambda current: None if current is None else {**current, **fields})


async def _earn(db: AsyncDatabase, order: Document) -> None:
    if order.get("memberId") is None or "pointsEntryId" in order:
        return
    earned = await earn_points(db, order["merchantId"], order["memberId"],
                               order["total"]["amount"], order["total"]["currency"],
                               f"order-earn:{order['_id']}")
    entry = earned.get("entry")
    await _set(db, order["_id"], {"pointsEntryId": entry["id"] if entry else None})


async def settle(db: AsyncDatabase, order: Document, marker: str | None = None) -> None:
    """Carry out what the order's current state calls for; remove ``marker`` after."""
    from schema.orders.transitions import transition

    status = order["status"]
    if status != "CREATED":
        await expiry.drop_entry(db, order["_id"])
    completed = _was(order, "COMPLETED")
    if status in ("CANCELED", "REFUNDED") and not completed:
        await release(db, order["_id"], _lines(order))
    if status == "CANCELED" and order.get("paymentIds"):
        if not await _refund_payments(db, order):
            return   # the marker stays: the sweep tries the refund again
        await transition(db, order["_id"], "REFUNDED", frozenset((Actor.SYSTEM,)),
                         "payment refunded", f"order-refunded:{order['_id']}")
    if completed:
        await commit(db, order["_id"], _lines(order))
        await _earn(db, order)
    if status == "REFUNDED" and completed:
        await _refund_payments(db, order)
        entry_id = ((await db[ORDERS].find_one({"_id": order["_id"]})) or {}).get(
            "pointsEntryId")
        if entry_id:
            await reverse_points(db, order["merchantId"], entry_id,
                                 f"order-reverse:{order['_id']}")
    if marker is not None:
        await done(db, marker)


async def sweep_due(db: AsyncDatabase) -> int:
    """Settle the orders whose writer left its marker (it died, or is very slow)."""
    count = 0
    async for marker in db[DUE].find({"at": {"$lt": utcnow() - SETTLE_AFTER}}).limit(500):
        order = await db[ORDERS].find_one({"_id": marker["orderId"]})
        if order is None:
            await done(db, marker["_id"])
        else:
            await settle(db, order, marker["_id"])
        count += 1
    return count
