"""Demo catalogue: QuickMart's 500 products and stock of each in every demo store, and the
few products (stocked in its sandbox stores) each partner's sandbox starts with.

Deterministic (ids from partner and SKU, and from store code) and idempotent (rows already
there are left as they are); 1,000,000 stock rows go in as bulk inserts (about a minute on
the embedded FerretDB).
"""

import random
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.catalog.collections import INVENTORY, PRODUCTS, STOCKED, inventory_id, stocked_id
from schema.catalog.products import product_id_for, raise_max_threshold
from schema.kernel.bulk import insert_missing
from schema.kernel.seeding import Advance, SeedStep
from schema.stores.seed import (
    CHAIN,
    SANDBOX_STORE_COUNT,
    STORE_COUNT,
    demo_store_id,
    sandbox_store_id,
)

PRODUCT_COUNT = 500
SANDBOX_PRODUCT_COUNT = 10
_STORES_PER_BATCH = 20
_CATEGORIES = ("drinks", "snacks", "dairy", "bakery", "household", "frozen", "fresh")
_EPOCH = datetime(2026, 1, 1)


def demo_sku(number: int) -> str:
    return f"SKU-{number:05d}"


def product_documents(count: int, partner_id: str) -> list[dict[str, Any]]:
    return [{"_id": product_id_for(partner_id, demo_sku(n)), "partnerId": partner_id,
             "sku": demo_sku(n), "barcode": f"69{n:011d}", "name": f"Demo product {n}",
             "category": _CATEGORIES[n % len(_CATEGORIES)],
             "price": {"amount": 150 + (n * 37) % 3000, "currency": "CNY"}, "priceAt": None,
             "lowStockThreshold": 5, "archived": False, "createdAt": _EPOCH, "updatedAt": _EPOCH}
            for n in range(count)]


def stock_row(store_id: str, product: dict[str, Any], on_hand: int) -> dict[str, Any]:
    return {"_id": inventory_id(store_id, product["_id"]), "partnerId": product["partnerId"],
            "storeId": store_id, "productId": product["_id"], "sku": product["sku"],
            "onHand": on_hand, "reserved": 0, "countedAt": _EPOCH, "moves": [], "rev": 1,
            "threshold": product["lowStockThreshold"], "thresholdAt": None,
            "seq": 0, "outbox": [], "updatedAt": _EPOCH}


async def write_products(db: AsyncDatabase, products: list[dict[str, Any]]) -> None:
    """Products in bulk, with their partners' catalogue thresholds."""
    await insert_missing(db[PRODUCTS], products)
    for partner_id in {p["partnerId"] for p in products}:
        await raise_max_threshold(db, partner_id, [p["lowStockThreshold"] for p in products
                                                   if p["partnerId"] == partner_id])


async def _seed_products(db: AsyncDatabase, advance: Advance) -> None:
    products = product_documents(PRODUCT_COUNT, demo_partner_id(CHAIN))
    await write_products(db, products)
    advance(len(products))


def stock_seed(store_count: int = STORE_COUNT) -> SeedStep:
    """Stock of every demo product in the first ``store_count`` demo stores (all by default;
    fewer keep test runs short): rows for :data:`_STORES_PER_BATCH` stores per insert, then
    those stores' ``stocked`` documents, whole (a store's rows all go in before its list)."""
    if not 0 <= store_count <= STORE_COUNT:
        raise ValueError(f"the demo has {STORE_COUNT} stores, not {store_count}")

    async def seed(db: AsyncDatabase, advance: Advance) -> None:
        products = product_documents(PRODUCT_COUNT, demo_partner_id(CHAIN))
        product_ids = sorted(p["_id"] for p in products)
        for first in range(0, store_count, _STORES_PER_BATCH):
            numbers = range(first, min(first + _STORES_PER_BATCH, store_count))
            rows = []
            for number in numbers:
                rng = random.Random(number)
                rows += [stock_row(demo_store_id(number), p, rng.randint(0, 60))
                         for p in products]
            await insert_missing(db[INVENTORY], rows)
            await insert_missing(db[STOCKED], [{"_id": stocked_id(demo_store_id(n)),
                                                "products": product_ids} for n in numbers])
            advance(len(numbers))

    return SeedStep("stock", store_count, seed)


def sandbox_catalog_seed(partner_id: str) -> SeedStep:
    """``partner_id``'s sandbox products (``SKU-00000`` …) with stock in each of its sandbox
    stores (:func:`schema.stores.seed.sandbox_stores_seed`, which runs first)."""

    async def seed(db: AsyncDatabase, advance: Advance) -> None:
        products = product_documents(SANDBOX_PRODUCT_COUNT, partner_id)
        await write_products(db, products)
        rng = random.Random(partner_id)
        stores = [sandbox_store_id(partner_id, n) for n in range(SANDBOX_STORE_COUNT)]
        await insert_missing(db[INVENTORY], [stock_row(store_id, p, rng.randint(0, 60))
                                             for store_id in stores for p in products])
        product_ids = sorted(p["_id"] for p in products)
        await insert_missing(db[STOCKED], [{"_id": stocked_id(store_id), "products": product_ids}
                                           for store_id in stores])
        advance(len(products))

    return SeedStep(f"sandbox-catalog:{partner_id}", SANDBOX_PRODUCT_COUNT, seed)


PRODUCTS_SEED = SeedStep("products", PRODUCT_COUNT, _seed_products)
STOCK_SEED = stock_seed()
