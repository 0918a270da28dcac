"""Moving an order along its status machine (issue 14, point 5), once per operation.

The move is one claimed write that decides from the order's current status, so of any
number of concurrent moves from one state at most one applies; the others find the new
status and are ILLEGAL_TRANSITION. The operation ids already applied are kept (the last
:data:`KEPT_OPS`), so a retry of an applied move answers as the move did. What a move sets
off (stock released or taken, the payment refunded, points earned or reversed) runs after
the write, by :func:`schema.orders.followups.settle`, from the order's state alone, so the
sweep can finish what a dead writer left.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.time import utcnow
from schema.orders import followups
from schema.orders.documents import get_order, status_event, write
from schema.orders.machine import Actor, acting

Document = dict[str, Any]
Result = dict[str, Any]
KEPT_OPS = 32
FIELD = ("input", "to")


def result(order_id: str | None, *errors: UserError) -> Result:
    return {"orderId": order_id, "userErrors": [e.to_dict() for e in errors]}


async def transition(db: AsyncDatabase, order_id: str, target: str, roles: frozenset[Actor],
                     note: str | None, operation_id: str, *,
                     extra: Document | None = None) -> Result:
    """Move the order to ``target`` as the first of ``roles`` the machine allows."""
    order = await get_order(db, order_id)
    if order is None:
        return result(None, UserError(UserErrorCode.NOT_FOUND, "no such order",
                                      ("input", "orderId")))
    refused: UserError | None = None

    def change(current: Document | None) -> Document | None:
        nonlocal refused
        refused = None
        if current is None or operation_id in current.get("ops", []):
            return None
        actor = acting(current["status"], target, current["fulfillment"]["type"], roles)
        if actor is None:
            refused = UserError(UserErrorCode.ILLEGAL_TRANSITION,
                                f"{current['status']} → {target} is not a move this caller "
                                f"may make on a {current['fulfillment']['type']} order", FIELD)
            return None
        noted = "paid offline" if target == "PAID" and actor is Actor.STORE_STAFF else note
        now = utcnow()
        return {**current, **status_event(current, target, str(actor), noted, now),
                **(extra or {}), "ops": [*current.get("ops", []), operation_id][-KEPT_OPS:]}

    marker = await followups.due(db, order_id)
    written = await write(db, order["merchantId"], order_id, change)
    if refused is not None:
        await followups.done(db, marker)
        return result(None, refused)
    current = written or await get_order(db, order_id)
    if current is not None:
        await followups.settle(db, current, marker)
    return result(order_id)
