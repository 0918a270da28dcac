"""The stores an order may be served from, read through the stores, maps and catalogue
domains' own read functions (DESIGN.md §3: orders never reads their collections)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog.reservations import available_at
from schema.orders.routing import Candidate
from schema.stores.read import get_stores, is_open_at, stores_within

Document = dict[str, Any]
SEARCH_RADIUS = 10_000
"""How far from the address stores are looked for: a store whose delivery radius is larger
still delivers only within this (a wider search reads coarse geo buckets of thousands of
stores on every delivery order)."""


def serves(store: Document, merchant_id: str, service: str, now: datetime) -> bool:
    """Whether ``store`` is the merchant's, open now and offers ``service``."""
    return (store["partnerId"] == merchant_id and service in store.get("services", [])
            and is_open_at(store, now))


async def delivery_candidates(db: AsyncDatabase, merchant_id: str, lat: float, lng: float,
                              needs: Mapping[str, int], now: datetime) -> list[Candidate]:
    """The merchant's open delivering stores whose radius covers the point, with what they
    have available of each product needed."""
    near = await stores_within(db, lat, lng, SEARCH_RADIUS)

    found = await get_stores(db, [store_id for _, store_id in near])
    covering = [(distance, store) for (distance, _), store in zip(near, found, strict=True)
                if store is not None and serves(store, merchant_id, "DELIVERY", now)
                and distance <= (store.get("deliveryRadiusMeters") or 0)]
    ids = [store["_id"] for _, store in covering]
    counts = {product_id: await available_at(db, ids, product_id) for product_id in needs}
    return [Candidate(store["_id"], distance,
                      {p: counts[p][i] for p in needs})
            for i, (distance, store) in enumerate(covering)]
