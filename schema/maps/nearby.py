"""``nearbyStores``: H3 candidates, exact distances, then the filters, page by page.

Candidates come sorted by (distance, id) — a total order — so a cursor is simply the last
(distance, id) served. Filters need the store documents (and stock for ``inStock``), so
candidates are checked in chunks just big enough to fill the page.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.read import stocked_everywhere
from schema.stores import read as stores

_CHUNK_FLOOR = 32


@dataclass(frozen=True, slots=True)
class NearbyQuery:
    lat: float
    lng: float
    radius: int
    merchant_id: str | None = None
    open_now: bool | None = None
    service: str | None = None
    in_stock: tuple[tuple[str, int], ...] = ()


def _keep(doc: dict[str, Any] | None, query: NearbyQuery, now: datetime) -> bool:
    if doc is None or doc["status"] not in stores.VISIBLE_STATUSES:
        return False
    if query.merchant_id is not None and doc["partnerId"] != query.merchant_id:
        return False
    if query.service is not None and query.service not in doc["services"]:
        return False
    return query.open_now is None or stores.is_open_at(doc, now) == query.open_now


async def nearby(db: AsyncDatabase, query: NearbyQuery, after: tuple[int, str] | None,
                 first: int, now: datetime) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
    """Up to ``first`` matching ``(distance, store)`` past ``after``, and whether more exist."""
    candidates = await stores.stores_within(db, query.lat, query.lng, query.radius)
    if after is not None:
        candidates = [c for c in candidates if c > after]
    found: list[tuple[int, dict[str, Any]]] = []
    chunk = max(_CHUNK_FLOOR, first + 1)
    for start in range(0, len(candidates), chunk):
        part = candidates[start:start + chunk]
        docs = await stores.get_stores(db, [s for _, s in part])
        kept = [(d, doc) for (d, _), doc in zip(part, docs, strict=True) if _keep(doc, query, now)]
        if query.in_stock and kept:
            ok = await stocked_everywhere(db, [doc for _, doc in kept], query.in_stock)
            kept = [k for k, good in zip(kept, ok, strict=True) if good]
        found += kept
        if len(found) > first:
            break
    return found[:first], len(found) > first
