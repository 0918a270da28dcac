"""Demo catalogue: QuickMart's 500 products and stock of each in every demo store.

Deterministic (``stable_id`` from SKU and store code) and idempotent (rows already there are
left as they are); 1,000,000 stock rows go in as bulk inserts.
"""

import random
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.catalog.collections import INVENTORY, PRODUCTS, inventory_id
from schema.catalog.stocked import add_stocked
from schema.kernel.bulk import insert_missing
from schema.kernel.ids import stable_id
from schema.kernel.seeding import Advance, SeedStep
from schema.stores.seed import CHAIN, STORE_COUNT, demo_store_id

PRODUCT_COUNT = 500
_CATEGORIES = ("drinks", "snacks", "dairy", "bakery", "household", "frozen", "fresh")
_EPOCH = datetime(2026, 1, 1)


def demo_sku(number: int) -> str:
    return f"SKU-{number:05d}"


def product_documents(count: int, partner_id: str, chain: str = CHAIN) -> list[dict[str, Any]]:
    return [{"_id": stable_id("prd", f"{chain}:{demo_sku(n)}"), "partnerId": partner_id,
             "sku": demo_sku(n), "barcode": f"69{n:011d}", "name": f"Demo product {n}",
             "category": _CATEGORIES[n % len(_CATEGORIES)],
             "price": {"amount": 150 + (n * 37) % 3000, "currency": "CNY"}, "priceAt": None,
             "lowStockThreshold": 5, "archived": False, "createdAt": _EPOCH, "updatedAt": _EPOCH}
            for n in range(count)]


def stock_row(store_id: str, product: dict[str, Any], on_hand: int) -> dict[str, Any]:
    return {"_id": inventory_id(store_id, product["_id"]), "partnerId": product["partnerId"],
            "storeId": store_id, "productId": product["_id"], "sku": product["sku"],
            "onHand": on_hand, "reserved": 0, "countedAt": _EPOCH, "moves": [], "rev": 1,
            "seq": 0, "outbox": [], "updatedAt": _EPOCH}


async def _seed_products(db: AsyncDatabase, advance: Advance) -> None:
    products = product_documents(PRODUCT_COUNT, demo_partner_id(CHAIN))
    await insert_missing(db[PRODUCTS], products)
    advance(len(products))


async def _seed_stock(db: AsyncDatabase, advance: Advance) -> None:
    products = product_documents(PRODUCT_COUNT, demo_partner_id(CHAIN))
    for number in range(STORE_COUNT):
        rng = random.Random(number)
        store_id = demo_store_id(number)
        await insert_missing(db[INVENTORY],
                             [stock_row(store_id, p, rng.randint(0, 60)) for p in products])
        await add_stocked(db, store_id, [p["_id"] for p in products])
        advance(1)


PRODUCTS_SEED = SeedStep("products", PRODUCT_COUNT, _seed_products)
STOCK_SEED = SeedStep("stock", STORE_COUNT, _seed_stock)
