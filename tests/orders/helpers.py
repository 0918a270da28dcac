"""A merchant with always-open stores, products and stock on the real FerretDB, and the
orders schema run as its apps, a member's token or a courier's app."""

import random
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.schema import schema as catalog_schema
from schema.kernel.context import make_context
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal
from schema.kernel.time import utcnow
from schema.orders.schema import schema
from tests.stores.helpers import data as run_data
from tests.stores.helpers import make_store

SCOPES = frozenset({"orders:read", "orders:write", "stores:read", "stores:write",
                    "catalog:read", "catalog:write", "inventory:read", "inventory:write",
                    "payments:write", "payments:read", "points:write", "members:write"})
ERRORS = "userErrors { code field message }"
ORDER = """id status channel externalId total { amount currency } member { id }
  lines { product { id } quantity unitPrice { amount } store { id } }
  fulfillment { type stores { id } courierId location { lat lng } }
  history { status actor note } updatedAt payments { id }"""
PLACE = ("mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { " + ORDER
         + " } " + ERRORS + " } }")
MOVE = ("mutation($input: TransitionOrderInput!) { transitionOrder(input: $input) { order { "
        "id status history { status actor note } } " + ERRORS + " } }")
CANCEL = ("mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status "
          "} " + ERRORS + " } }")
ASSIGN = ("mutation($input: AssignCourierInput!) { assignCourier(input: $input) { order { id "
          "fulfillment { courierId } } " + ERRORS + " } }")
ALWAYS = [{"dayOfWeek": d, "opens": "00:00", "closes": "23:59"} for d in range(1, 8)]
UPSERT = """mutation($input: UpsertProductsInput!) { upsertProducts(input: $input) {
  products { id sku } userErrors { code } } }"""
SYNC = """mutation($input: SyncInventoryInput!) { syncInventory(input: $input) {
  applied userErrors { code } } }"""


def app(partner_id: str, *, stores: frozenset[str] = frozenset(), courier: str | None = None,
        member: str | None = None) -> Principal:
    extra: dict[str, Any] = {"courier_id": courier} if courier else {}
    return Principal(client_id=f"app-{partner_id}-{random.random()}", partner_id=partner_id,
                     scopes=SCOPES, store_ids=stores, member_id=member, **extra)


async def run(db: AsyncDatabase, query: str, principal: Principal | None, **variables: Any) -> Any:
    return await schema.execute(query, variable_values=variables,
                                context_value=make_context(db, {"principal": principal}))


async def data(db: AsyncDatabase, query: str, principal: Principal | None,
               **variables: Any) -> dict[str, Any]:
    result = await run(db, query, principal, **variables)
    assert result.errors is None, result.errors
    return result.data


@dataclass
class World:
    """One merchant: its app, stores (by name) and products (by sku)."""

    merchant: str
    owner: Principal
    stores: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)


async def world(db: AsyncDatabase, stores: dict[str, tuple[float, float]],
                skus: dict[str, int], *, radius: int = 3000,
                services: tuple[str, ...] = ("PICKUP", "DELIVERY", "DINE_IN")) -> World:
    """A merchant with the named stores (always open) and products priced ``skus``."""
    merchant = new_id("ptn")
    owner = app(merchant)
    found = World(merchant, owner)
    for name, (lat, lng) in stores.items():
        found.stores[name] = await make_store(
            db, owner, f"{name}{random.randrange(10**6)}", lat, lng, openingHours=ALWAYS,
            services=list(services), deliveryRadiusMeters=radius)
    items = [{"sku": sku, "name": sku, "price": {"amount": price}} for sku, price in skus.items()]
    out = await run_data(catalog_schema, db, UPSERT, owner,
                         input={"items": items, "idempotencyKey": new_id("evt")})
    found.products = {p["sku"]: p["id"] for p in out["upsertProducts"]["products"]}
    return found


async def stock(db: AsyncDatabase, w: World, store: str, levels: dict[str, int]) -> None:
    items = [{"sku": sku, "onHand": n, "occurredAt": utcnow().isoformat().replace(
        "+00:00", "Z")} for sku, n in levels.items()]
    out = await run_data(catalog_schema, db, SYNC, w.owner, input={
        "storeId": w.stores[store], "items": items, "idempotencyKey": new_id("evt")})
    assert out["syncInventory"]["applied"] == len(items)


def delivery(lat: float, lng: float) -> dict[str, Any]:
    return {"type": "DELIVERY", "location": {"lat": lat, "lng": lng},
            "address": {"line1": "9 Lane", "city": "Shanghai"}}


def order_input(w: World, lines: dict[str, int], fulfillment: dict[str, Any],
                **extra: Any) -> dict[str, Any]:
    return {"merchantId": w.merchant, "channel": "APP", "fulfillment": fulfillment,
            "lines": [{"productId": w.products[s], "quantity": q} for s, q in lines.items()],
            "idempotencyKey": new_id("evt"), **extra}


async def place(db: AsyncDatabase, who: Principal, input: dict[str, Any]) -> dict[str, Any]:
    return (await data(db, PLACE, who, input=input))["placeOrder"]


async def move(db: AsyncDatabase, who: Principal, order_id: str, to: str,
               note: str | None = None) -> dict[str, Any]:
    return (await data(db, MOVE, who, input={"orderId": order_id, "to": to, "note": note,
                                              "idempotencyKey": new_id("evt")}))["transitionOrder"]
