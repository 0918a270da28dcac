"""Read functions other domains may use (maps filters stores by stock through these)."""

import asyncio
from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.collections import INVENTORY, inventory_id


async def available(db: AsyncDatabase, store_ids: Sequence[str], product_id: str) -> list[int]:
    """Units of ``product_id`` available (onHand - reserved) at each store, 0 when unstocked."""
    rows = await asyncio.gather(*(
        db[INVENTORY].find_one({"_id": inventory_id(s, product_id)}, {"onHand": 1, "reserved": 1})
        for s in store_ids))
    return [max(0, r["onHand"] - r.get("reserved", 0)) if r else 0 for r in rows]


async def stocked_everywhere(db: AsyncDatabase, store_ids: Sequence[str],
                             needs: Sequence[tuple[str, int]]) -> list[bool]:
    """For each store, whether it has every ``(productId, quantity)`` in ``needs`` available."""
    ok = [True] * len(store_ids)
    for product_id, quantity in needs:
        counts = await available(db, store_ids, product_id)
        ok = [was and count >= quantity for was, count in zip(ok, counts, strict=True)]
    return ok
