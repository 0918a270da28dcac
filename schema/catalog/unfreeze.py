"""Releasing SKUs frozen by a far-future timestamp (``loopgate inventory unfreeze``).

Sync items are ordered by ``occurredAt``, so a time in the future stored on a row (its
``countedAt``, or a remembered movement's ``at``) or on a product (``priceAt``) makes every
later count, delta or price of that SKU STALE until the clock reaches it. New items that far
ahead are refused (:mod:`schema.catalog.clock`); markers stored before that rule, more than
the allowance ahead, are moved back to the time of the repair by :func:`unfreeze`, so the
ERP's next count or price applies (markers within the allowance are left as they are).

Each row and product is rewritten under a revision claim (:func:`update_claimed`, the claims
a sync takes), so the repair is safe while ERPs keep syncing, and a marker that is no longer
in the future when the claim is won is left alone. A released row's ``countedAt`` changed,
so it is recorded in its partner's and its store's change feeds like any synced change.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import feed
from schema.catalog.clock import max_future
from schema.catalog.collections import INVENTORY, PRODUCTS, inventory_id
from schema.catalog.products import product_id_for
from schema.catalog.stocked import stocked_products
from schema.kernel.claims import update_claimed
from schema.kernel.reads import get_many
from schema.kernel.time import as_utc, utcnow

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Unfrozen:
    """What :func:`unfreeze` released, and the time its markers were set to."""

    rows: list[Document]
    products: list[str]
    at: datetime


@dataclass(frozen=True, slots=True)
class _Clock:
    now: datetime
    frozen_after: datetime   # markers later than this are released

    def frozen(self, at: datetime | None) -> bool:
        return at is not None and as_utc(at) > self.frozen_after

    def released(self, at: datetime) -> datetime:
        return self.now if self.frozen(at) else at


def _frozen_row(row: Document, clock: _Clock) -> bool:
    return (clock.frozen(row.get("countedAt"))
            or any(clock.frozen(move["at"]) for move in row.get("moves", [])))


def _released_row(row: Document, clock: _Clock) -> Document:
    counted = row.get("countedAt")
    return {**row, "countedAt": None if counted is None else clock.released(counted),
            "moves": [{**m, "at": clock.released(m["at"])} for m in row.get("moves", [])],
            "updatedAt": clock.now}


async def _frozen_rows(db: AsyncDatabase, partner_id: str, store_id: str | None,
                       sku: str | None, clock: _Clock) -> list[Document]:
    """The partner's frozen rows in scope: point reads with a store, else a partner-wide
    query (streamed: a chain has millions of rows, few of them frozen)."""
    if store_id is not None:
        products = ([product_id_for(partner_id, sku)] if sku is not None
                    else sorted(await stocked_products(db, store_id)))
        found = await get_many(db[INVENTORY], [inventory_id(store_id, p) for p in products],
                               {"partnerId": 1, "countedAt": 1, "moves": 1})
        return [r for r in found
                if r is not None and r["partnerId"] == partner_id and _frozen_row(r, clock)]
    query: Document = {"partnerId": partner_id}
    if sku is not None:
        query["sku"] = sku
    return [row async for row in db[INVENTORY].find(query, {"countedAt": 1, "moves": 1})
            if _frozen_row(row, clock)]


async def _release_rows(db: AsyncDatabase, frozen: list[Document],
                        clock: _Clock) -> list[Document]:
    released = []
    for candidate in frozen:
        written = await update_claimed(
            db[INVENTORY], db, candidate["_id"],
            lambda row: _released_row(row, clock) if row and _frozen_row(row, clock) else None)
        if written is not None:
            released.append(written)
    return released


async def _release_prices(db: AsyncDatabase, partner_id: str, sku: str | None,
                          clock: _Clock) -> list[str]:
    if sku is not None:
        found = [await db[PRODUCTS].find_one({"_id": product_id_for(partner_id, sku)})]
    else:
        found = await db[PRODUCTS].find(
            {"partnerId": partner_id, "priceAt": {"$gt": clock.frozen_after}}, {"_id": 1},
        ).to_list()

    def released(product: Document | None) -> Document | None:
        if product is None or not clock.frozen(product.get("priceAt")):
            return None
        return {**product, "priceAt": clock.now, "updatedAt": clock.now}

    ids = []
    for product in found:
        if product is not None and await update_claimed(db[PRODUCTS], db, product["_id"],
                                                        released) is not None:
            ids.append(product["_id"])
    return ids


async def _record(db: AsyncDatabase, partner_id: str, rows: list[Document]) -> None:
    lease = await feed.take_lease(db, partner_id, len(rows))
    try:
        await feed.record_changes(db, lease, [
            {"seq": lease.low + offset, "storeId": row["storeId"], "rowId": row["_id"]}
            for offset, row in enumerate(rows)])
    finally:
        await feed.release(db, lease)
    for store_id in sorted({row["storeId"] for row in rows}):
        await feed.record_store_changes(db, store_id, [r["_id"] for r in rows
                                                       if r["storeId"] == store_id])


async def unfreeze(db: AsyncDatabase, partner_id: str, *, store_id: str | None = None,
                   sku: str | None = None) -> Unfrozen:
    """Move the partner's ``countedAt``, movement and ``priceAt`` markers that lie more than
    the allowed clock skew ahead to now, for one store and/or one SKU when given (prices are
    per product: ``store_id`` does not narrow them)."""
    now = utcnow()
    clock = _Clock(now, now + max_future())
    rows = await _release_rows(db, await _frozen_rows(db, partner_id, store_id, sku, clock),
                              clock)
    if rows:
        await _record(db, partner_id, rows)
    return Unfrozen(rows, await _release_prices(db, partner_id, sku, clock), now)
