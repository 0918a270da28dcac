"""What other domains may read of orders (DESIGN.md §3): payments checks the order an ORDER
payment names through :func:`payable_order`, never the orders collection."""

from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from schema.orders.collections import ORDERS


@dataclass(frozen=True, slots=True)
class PayableOrder:
    """An order as a payment sees it: whose, for whom, how much, and whether it awaits one."""

    order_id: str
    merchant_id: str
    member_id: str | None
    amount: int
    currency: str
    awaiting_payment: bool


async def payable_order(db: AsyncDatabase, order_id: str) -> PayableOrder | None:
    order = await db[ORDERS].find_one({"_id": order_id}, {"merchantId": 1, "memberId": 1,
                                                          "total": 1, "status": 1})
    if order is None:
        return None
    return PayableOrder(order["_id"], order["merchantId"], order.get("memberId"),
                        order["total"]["amount"], order["total"]["currency"],
                        order["status"] == "CREATED")
