"""The ORDER payment outcome (issue 14, point 4): a succeeded payment moves its order to PAID
(actor SYSTEM). Registered with the kernel's outcome hook at import; delivery is at least
once, so every step is keyed by the payment: the payment id is recorded on the order once,
and the move is the operation ``order-paid:<payment>``. A payment that succeeds after its
order was canceled (it expired meanwhile) is refunded by the canceled order's follow-ups; one
that succeeds for an order another payment (or the till) already paid is refunded at once.
"""

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.outcomes import PaymentOutcome, on_payment_outcome
from schema.orders import followups
from schema.orders.collections import ORDERS
from schema.orders.documents import get_order
from schema.orders.machine import Actor
from schema.orders.transitions import transition


async def on_order_payment(db: AsyncDatabase, outcome: PaymentOutcome) -> None:
    if outcome.order_id is None or outcome.status != "SUCCEEDED":
        return

    def record(current: dict | None) -> dict | None:
        if current is None or outcome.payment_id in current.get("paymentIds", []):
            return None
        return {**current, "paymentIds": [*current.get("paymentIds", []), outcome.payment_id]}

    await update_claimed(db[ORDERS], db, outcome.order_id, record)
    await transition(db, outcome.order_id, "PAID", frozenset((Actor.SYSTEM,)),
                     f"payment {outcome.payment_id}", f"order-paid:{outcome.payment_id}")
    order = await get_order(db, outcome.order_id)
    if order is None:
        return
    if order["status"] == "CANCELED":
        await followups.settle(db, order)
    elif not any(change["note"] == f"payment {outcome.payment_id}"
                 for change in order["history"]):
        await followups.refund_payment_of(db, order, outcome.payment_id)


on_payment_outcome("ORDER", on_order_payment)
