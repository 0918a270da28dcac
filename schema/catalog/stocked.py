"""Which products have an inventory row at a store (``stocked:<storeId>``).

Listing a store's stock (``Store.inventory``) reads this one document and then point-reads
the rows, instead of filtering the inventory collection by store (a full scan on FerretDB).
A sync extends it after inserting new rows, so it may briefly lag behind them.
"""

from collections.abc import Iterable

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.collections import STOCKED, stocked_id
from schema.kernel.claims import update_claimed


async def stocked_products(db: AsyncDatabase, store_id: str) -> set[str]:
    found = await db[STOCKED].find_one({"_id": stocked_id(store_id)})
    return set(found["products"]) if found else set()


async def add_stocked(db: AsyncDatabase, store_id: str, product_ids: Iterable[str]) -> None:
    new = set(product_ids)
    if not new:
        return

    def extended(current: dict | None) -> dict | None:
        known = set((current or {}).get("products", []))
        if new <= known:
            return None
        return {"products": sorted(known | new)}

    await update_claimed(db[STOCKED], db, stocked_id(store_id), extended)
