"""Products in MongoDB: point reads, SKU resolution per partner, listing, upsert and prices.

Catalogue data is readable by any partner with ``catalog:read``; only the owner changes it.
A product's id is derived from its natural key, (partner, SKU) (:func:`product_id_for`), so
resolving SKUs is a batch of ``_id`` point reads, and two concurrent creations of one SKU
collide on the ``_id`` instead of making two products. The partner's catalogue document
(``catalog:<partner>``) keeps the highest ``lowStockThreshold`` any of its products ever had,
so a stock sync reads a product only when a level could cross its threshold, and when any
existing product's threshold last changed (``thresholdsAt``): inventory rows keep a copy of
their product's threshold stamped with that time, which is current while the stamps match.
"""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import InsertOne
from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.collections import CATALOGS, PRODUCTS, catalog_id
from schema.catalog.stock import ItemStatus
from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.claims import update_claimed
from schema.kernel.ids import stable_id
from schema.kernel.reads import get_many
from schema.kernel.time import as_utc, utcnow

Document = dict[str, Any]
_PARALLEL_UPDATES = 16


async def get_product(db: AsyncDatabase, product_id: str) -> Document | None:
    return await db[PRODUCTS].find_one({"_id": product_id})


async def get_products(db: AsyncDatabase, ids: Sequence[str]) -> list[Document | None]:
    return await get_many(db[PRODUCTS], ids)


def product_id_for(partner_id: str, sku: str) -> str:
    """The id of the partner's product with this SKU (the same on every server and run)."""
    return stable_id("prd", f"{partner_id}:{sku}")


async def by_skus(db: AsyncDatabase, partner_id: str, skus: Sequence[str]) -> dict[str, Document]:
    """The partner's products with these SKUs, by SKU (point reads; SKUs are plain strings)."""
    wanted = sorted({s for s in skus if isinstance(s, str)})
    found = await get_products(db, [product_id_for(partner_id, s) for s in wanted])
    return {doc["sku"]: doc for doc in found
            if doc is not None and doc["partnerId"] == partner_id}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The partner's highest threshold ever (None: never any) and when an existing
    product's threshold last changed (None: never)."""

    ceiling: int | None
    changed_at: datetime | None


async def thresholds(db: AsyncDatabase, partner_id: str) -> Thresholds:
    found = await db[CATALOGS].find_one({"_id": catalog_id(partner_id)}) or {}
    return Thresholds(found.get("maxLowStockThreshold"), found.get("thresholdsAt"))


async def _thresholds_changed(db: AsyncDatabase, partner_id: str, at: datetime) -> None:
    """Stamp a change of existing products' thresholds: rows' copies become stale."""
    await update_claimed(db[CATALOGS], db, catalog_id(partner_id),
                         lambda current: {**(current or {}), "partnerId": partner_id,
                                          "thresholdsAt": at})


async def raise_max_threshold(db: AsyncDatabase, partner_id: str, thresholds: Iterable[int | None],
                              ) -> None:
    """Record a threshold above the partner's maximum (it never goes down: a stale maximum
    only costs a sync some product reads)."""
    highest = max((t for t in thresholds if t is not None), default=None)
    if highest is None:
        return

    def raised(current: Document | None) -> Document | None:
        known = (current or {}).get("maxLowStockThreshold")
        if known is not None and known >= highest:
            return None
        return {**(current or {}), "partnerId": partner_id, "maxLowStockThreshold": highest}

    await update_claimed(db[CATALOGS], db, catalog_id(partner_id), raised)


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
    await raise_max_threshold(db, partner_id, [i.get("lowStockThreshold") for i in items])
    now = utcnow()
    ids = [product_id_for(partner_id, i["sku"]) for i in items]
    created = await bulk_write_chunked(db[PRODUCTS], [
        InsertOne({"_id": product_id, "partnerId": partner_id, **item, "priceAt": None,
                   "createdAt": now, "updatedAt": now})
        for product_id, item in zip(ids, items, strict=True)])
    existing = [index for index, error in created.errors.items() if error["code"] == 11000]
    if len(existing) < len(created.errors):
        failed = next(e for e in created.errors.values() if e["code"] != 11000)
        raise RuntimeError(f"product upsert failed: {failed}")
    gate = asyncio.Semaphore(_PARALLEL_UPDATES)
    threshold_moved = False

    async def update(product_id: str, item: Document) -> None:
        def merged(current: Document | None) -> Document | None:
            nonlocal threshold_moved
            if current is None or all(current.get(k) == v for k, v in item.items()):
                return None
            if current.get("lowStockThreshold") != item.get("lowStockThreshold"):
                threshold_moved = True
            return {**current, **item, "updatedAt": now}

        async with gate:
            await update_claimed(db[PRODUCTS], db, product_id, merged)

    await asyncio.gather(*(update(ids[i], items[i]) for i in existing))
    if threshold_moved:
        await _thresholds_changed(db, partner_id, now)
    return ids


async def set_price(db: AsyncDatabase, product_id: str, price: Document,
                    at: datetime) -> tuple[ItemStatus, str | None]:
    """Set the price as of ``at``: APPLIED; STALE when a price at or after ``at`` is stored
    (or the product is gone); INVALID when the product is priced in another currency (then
    also that currency). Checked on the document the write replaces.

    The product is rewritten under a revision claim, so concurrent price syncs (and upserts
    through the same claim) serialise and the newest price wins in any arrival order.
    """
    outcome: tuple[ItemStatus, str | None] = (ItemStatus.APPLIED, None)

    def priced(current: Document | None) -> Document | None:
        nonlocal outcome
        stored = current.get("priceAt") if current else None
        if current is None or (stored is not None and at < as_utc(stored)):
            outcome = (ItemStatus.STALE, None)
            return None
        if current["price"]["currency"] != price["currency"]:
            outcome = (ItemStatus.INVALID, current["price"]["currency"])
            return None
        outcome = (ItemStatus.APPLIED, None)
        return {**current, "price": price, "priceAt": at, "updatedAt": utcnow()}

    await update_claimed(db[PRODUCTS], db, product_id, priced)
    return outcome
