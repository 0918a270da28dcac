"""Read functions other domains may use (maps filters stores by stock through these)."""

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.collections import INVENTORY, PRODUCTS, inventory_id
from schema.kernel.reads import get_many


async def available(db: AsyncDatabase, store_ids: Sequence[str], product_id: str) -> list[int]:
    """Units of ``product_id`` available (onHand - reserved) at each store, 0 when unstocked."""
    rows = await get_many(db[INVENTORY], [inventory_id(s, product_id) for s in store_ids],
                          {"onHand": 1, "reserved": 1})
    return [max(0, r["onHand"] - r.get("reserved", 0)) if r else 0 for r in rows]


async def stocked_everywhere(db: AsyncDatabase, stores: Sequence[dict[str, Any]],
                             needs: Sequence[tuple[str, int]]) -> list[bool]:
    """For each store document, whether it has every ``(productId, quantity)`` available.

    Only stores of the product's own merchant can stock it, so only their rows are read.
    """
    ok = [True] * len(stores)
    for product_id, quantity in needs:
        product = await db[PRODUCTS].find_one({"_id": product_id}, {"partnerId": 1})
        owner = product["partnerId"] if product else None
        candidates = [i for i, s in enumerate(stores) if ok[i] and s["partnerId"] == owner]
        counts = await available(db, [stores[i]["_id"] for i in candidates], product_id)
        enough = {i for i, count in zip(candidates, counts, strict=True) if count >= quantity}
        ok = [i in enough for i in range(len(stores))]
    return ok
