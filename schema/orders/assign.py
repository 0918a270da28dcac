"""``assignCourier`` (issue 14, point 6): a delivery order, not yet delivered, gets its
courier; by the merchant's staff or by the partner that placed it (its delivery partner),
which the courier's app may then belong to. A plain claimed write (no status change, so no
event), under the feed lease like every change a board shows."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.principal import Principal, is_courier_id
from schema.kernel.time import utcnow
from schema.orders.access import roles
from schema.orders.documents import get_order, write
from schema.orders.machine import Actor

Result = dict[str, Any]
ASSIGNABLE = frozenset(("PAID", "ACCEPTED", "PREPARING"))


def result(order_id: str | None, *errors: UserError) -> Result:
    return {"orderId": order_id, "userErrors": [e.to_dict() for e in errors]}


async def assign_courier(db: AsyncDatabase, principal: Principal, order_id: str,
                         courier_id: str) -> Result:
    if not is_courier_id(courier_id):
        return result(None, UserError(UserErrorCode.INVALID, "courierId is 1 to 64 letters, "
                                      "digits, '_' or '-'", ("input", "courierId")))
    order = await get_order(db, order_id)
    found = roles(principal, order) if order else frozenset()
    if order is None or not found:
        return result(None, UserError(UserErrorCode.NOT_FOUND, "no such order",
                                      ("input", "orderId")))
    if not found & {Actor.STORE_STAFF, Actor.PARTNER}:
        return result(None, UserError(UserErrorCode.FORBIDDEN, "couriers are assigned by the "
                                      "merchant or the partner that placed the order",
                                      ("input", "orderId")))
    refused: UserError | None = None

    def change(current: dict | None) -> dict | None:
        nonlocal refused
        refused = None
        if current is None or current.get("courierId") == courier_id:
            return None
        if current["fulfillment"]["type"] != "DELIVERY" or current["status"] not in ASSIGNABLE:
            refused = UserError(UserErrorCode.ILLEGAL_TRANSITION, "a courier is assigned to "
                                "a paid delivery order not yet out for delivery",
                                ("input", "orderId"))
            return None
        return {**current, "courierId": courier_id, "courierBy": principal.partner_id,
                "updatedAt": utcnow()}

    await write(db, order["merchantId"], order_id, change)
    return result(None, refused) if refused else result(order_id)
