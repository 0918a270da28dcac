"""Orders demo data (issue 14, point 9): a few hundred QuickMart orders across channels and
states, and a partner's sandbox orders for trying the order mutations.

Live: :data:`HISTORY` finished orders of the past four weeks (COMPLETED, CANCELED, REFUNDED:
they hold no stock) written in bulk, and :data:`ACTIVE` orders placed and moved along
through the same code as ``placeOrder`` and ``transitionOrder`` (so they hold their stock
and have their events), at round-the-clock stores. Sandbox: three orders at the partner's
sandbox store 1: CREATED (to cancel), a PAID pickup (to accept) and a PAID delivery (to give
a courier). Every id and operation is stable, so seeding again changes nothing.
"""

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.catalog.products import product_id_for
from schema.catalog.reservations import available_at
from schema.catalog.seed import PRODUCT_COUNT, SANDBOX_PRODUCT_COUNT, demo_sku
from schema.kernel.bulk import insert_missing
from schema.kernel.ids import stable_id
from schema.kernel.principal import Principal
from schema.kernel.seeding import Advance, SeedStep
from schema.kernel.time import utcnow
from schema.orders.collections import ORDERS
from schema.orders.machine import Actor
from schema.orders.place import PlaceRequest, place_order
from schema.orders.transitions import transition
from schema.stores.read import get_store
from schema.stores.seed import CHAIN, demo_store_id, sandbox_store_id

HISTORY = 270
ACTIVE = 30
CHANNELS = ("APP", "WECHAT", "DIANPING", "POS", "PARTNER")
FINISHED = ("COMPLETED", "COMPLETED", "COMPLETED", "CANCELED", "REFUNDED")
WALKS = (("PAID",), ("PAID", "ACCEPTED"), ("PAID", "ACCEPTED", "PREPARING"),
         ("PAID", "ACCEPTED", "PREPARING", "READY"), ())
ALL_ROLES = frozenset((Actor.STORE_STAFF, Actor.COURIER, Actor.SYSTEM))
Document = dict[str, Any]


def _price(number: int) -> int:
    return 150 + (number * 37) % 3000   # as schema.catalog.seed prices the demo products


def _history_document(index: int, merchant: str) -> Document:
    at = utcnow() - timedelta(days=28) + timedelta(minutes=index * 149)
    store = demo_store_id((index * 5) % 2000)
    products = [(index * 7 + k * 13) % PRODUCT_COUNT for k in range(1 + index % 3)]
    lines = [{"productId": product_id_for(merchant, demo_sku(n)), "quantity": 1 + n % 2,
              "unitPrice": {"amount": _price(n), "currency": "CNY"}, "storeId": store}
             for n in products]
    status = FINISHED[index % len(FINISHED)]
    steps = ["CREATED", "PAID", "ACCEPTED", "PREPARING", "READY", "COMPLETED"]
    if status != "COMPLETED":
        steps = ["CREATED", "PAID", "CANCELED"] + (["REFUNDED"] if status == "REFUNDED" else [])
    history = [{"status": s, "at": at + timedelta(minutes=4 * k), "actor": "STORE_STAFF"
                if s != "REFUNDED" else "SYSTEM", "note": None} for k, s in enumerate(steps)]
    channel = CHANNELS[index % len(CHANNELS)]
    return {"_id": stable_id("ord", f"seed-order-history:{index}"), "merchantId": merchant,
            "channel": channel, "externalId": f"{channel.lower()}-{100000 + index}",
            "memberId": None, "placedBy": {"partnerId": merchant, "clientId": "seed"},
            "lines": lines, "fulfillment": {"type": "PICKUP", "address": None,
                                            "location": None},
            "storeIds": [store], "courierId": None, "status": status, "history": history,
            "total": {"amount": sum(line["unitPrice"]["amount"] * line["quantity"]
                                    for line in lines), "currency": "CNY"},
            "paymentIds": [], "createdAt": at, "updatedAt": history[-1]["at"]}


async def _place(db: AsyncDatabase, merchant: str, op: str, request: PlaceRequest,
                 walk: tuple[str, ...]) -> str | None:
    """Place one order as the merchant's own app and move it along ``walk``."""
    principal = Principal(client_id=f"seed:{merchant}", partner_id=merchant)
    placed = await place_order(db, principal, request, stable_id("opn", op))
    order_id = placed["orderId"]
    if order_id is None:
        return None
    for step, status in enumerate(walk):
        await transition(db, order_id, status, ALL_ROLES, None,
                         stable_id("opn", f"{op}:{step}"))
    return order_id


async def _first_stocked(db: AsyncDatabase, merchant: str, store_id: str, count: int,
                         wanted: int) -> str | None:
    for number in range(count):
        product = product_id_for(merchant, demo_sku(number))
        if (await available_at(db, [store_id], product))[0] >= wanted:
            return product
    return None


async def _seed(db: AsyncDatabase, advance: Advance) -> None:
    merchant = demo_partner_id(CHAIN)
    await insert_missing(db[ORDERS], [_history_document(i, merchant) for i in range(HISTORY)])
    advance(HISTORY)
    for index in range(ACTIVE):
        store_id = demo_store_id(index * 5)   # every fifth demo store is open round the clock
        product = await _first_stocked(db, merchant, store_id, 20, 2)
        if product is not None:
            request = PlaceRequest(merchant, CHANNELS[index % len(CHANNELS)], None, None,
                                   [(product, 1 + index % 2)], "PICKUP", store_id=store_id)
            await _place(db, merchant, f"seed-order:{index}", request,
                         WALKS[index % len(WALKS)])
        advance(1)


ORDERS_SEED = SeedStep("orders", HISTORY + ACTIVE, _seed)


def _sandbox_op(partner_id: str, index: int) -> str:
    return f"sandbox-order:{partner_id}:{index}"


def sandbox_order_id(partner_id: str, index: int) -> str:
    """The sandbox's orders: 0 CREATED, 1 a PAID pickup, 2 a PAID delivery."""
    return stable_id("ord", stable_id("opn", _sandbox_op(partner_id, index)))


def sandbox_orders_seed(partner_id: str) -> SeedStep:
    """Three orders at the partner's first sandbox store (open round the clock)."""

    async def seed(db: AsyncDatabase, advance: Advance) -> None:
        store_id = sandbox_store_id(partner_id, 0)
        store = await get_store(db, store_id)
        product = await _first_stocked(db, partner_id, store_id, SANDBOX_PRODUCT_COUNT, 3)
        if store is None or product is None:
            return
        here = (store["location"]["lat"], store["location"]["lng"])
        address = {"line1": "1 People's Square", "city": "Shanghai", "country": "CN"}
        shapes = [("PICKUP", ()), ("PICKUP", ("PAID",)), ("DELIVERY", ("PAID",))]
        for index, (kind, walk) in enumerate(shapes):
            request = PlaceRequest(
                partner_id, "APP", None, None, [(product, 1)], kind,
                store_id=store_id if kind == "PICKUP" else None,
                location=here if kind == "DELIVERY" else None,
                address=address if kind == "DELIVERY" else None)
            await _place(db, partner_id, _sandbox_op(partner_id, index), request, walk)
        advance(1)

    return SeedStep(f"sandbox-orders:{partner_id}", 1, seed)
