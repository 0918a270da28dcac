"""Products in MongoDB: point reads, SKU resolution per partner, listing, upsert and prices.

Catalogue data is readable by any partner with ``catalog:read``; only the owner changes it.
"""

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.collections import PRODUCTS
from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.ids import new_id
from schema.kernel.time import utcnow

Document = dict[str, Any]


async def get_product(db: AsyncDatabase, product_id: str) -> Document | None:
    return await db[PRODUCTS].find_one({"_id": product_id})


async def get_products(db: AsyncDatabase, ids: Sequence[str]) -> list[Document | None]:
    return list(await asyncio.gather(*(get_product(db, i) for i in ids)))


async def by_skus(db: AsyncDatabase, partner_id: str, skus: Sequence[str]) -> dict[str, Document]:
    """The partner's products with these SKUs, by SKU (one query; SKUs are plain strings)."""
    wanted = [s for s in skus if isinstance(s, str)]
    found = await db[PRODUCTS].find({"partnerId": partner_id, "sku": {"$in": wanted}}).to_list()
    return {doc["sku"]: doc for doc in found}


async def list_products(db: AsyncDatabase, filters: dict[str, Any], first: int,
                        after: str | None) -> list[Document]:
    query: dict[str, Any] = {}
    if filters.get("merchantId") is not None:
        query["partnerId"] = filters["merchantId"]
    if filters.get("category") is not None:
        query["category"] = filters["category"]
    if filters.get("skus") is not None:
        query["sku"] = {"$in": list(filters["skus"])}
    if after is not None:
        query["_id"] = {"$gt": after}
    return await db[PRODUCTS].find(query).sort("_id", 1).limit(first + 1).to_list()


async def upsert_products(db: AsyncDatabase, partner_id: str,
                          items: Sequence[Document]) -> list[str]:
    """Create or update the partner's products by SKU; returns their ids in item order."""
    existing = await by_skus(db, partner_id, [i["sku"] for i in items])
    now = utcnow()
    ids, operations = [], []
    for item in items:
        current = existing.get(item["sku"])
        if current is None:
            product_id = new_id("prd")
            operations.append(InsertOne({"_id": product_id, "partnerId": partner_id, **item,
                                         "priceAt": None, "createdAt": now, "updatedAt": now}))
        else:
            product_id = current["_id"]
            operations.append(UpdateOne({"_id": product_id},
                                        {"$set": {**item, "updatedAt": now}}))
        ids.append(product_id)
    outcome = await bulk_write_chunked(db[PRODUCTS], operations)
    if outcome.errors:
        raise RuntimeError(f"product upsert failed: {next(iter(outcome.errors.values()))}")
    return ids


async def set_price(db: AsyncDatabase, product: Document, price: Document,
                    at: datetime) -> bool:
    """Set the price if no newer price was set meanwhile (compare-and-set on ``priceAt``)."""
    result = await db[PRODUCTS].update_one(
        {"_id": product["_id"], "priceAt": product.get("priceAt")},
        {"$set": {"price": price, "priceAt": at, "updatedAt": utcnow()}})
    return result.matched_count == 1
