"""``deals``: the deals on sale, by merchant and/or near a point.

Near a point (DESIGN.md §8 geo rules): the stores within the radius come from the stores
domain's H3 buckets with exact great-circle distances, nearest first; their merchants' deal
lists (``merchant_deals``, one point read each) give the candidate deals, and each deal's
distance is that of its nearest store within the radius that redeems it (a deal naming
stores: only those). Deals sort by (distance, id), a total order, so a cursor is the last
pair served. Without a point: a merchant's deals by id, or (no merchant either) every deal
on sale by id, which on FerretDB v1 scans the deals collection.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.marketing.collections import DEALS
from schema.marketing.deals import merchant_deals, on_sale, redeemable_at
from schema.stores import read as stores

Document = dict[str, Any]
Row = tuple[int | None, Document]


@dataclass(frozen=True, slots=True)
class DealQuery:
    merchant_id: str | None
    near: tuple[float, float] | None
    radius: int


def _past(row: Row, after: list[Any] | None) -> bool:
    if after is None:
        return True
    distance, deal = row
    if distance is None:
        return str(deal["_id"]) > after[1]
    return (distance, str(deal["_id"])) > (after[0], after[1])


async def _near(db: AsyncDatabase, query: DealQuery, now: datetime) -> list[Row]:
    assert query.near is not None
    candidates = await stores.stores_within(db, *query.near, query.radius)
    docs = await stores.get_stores(db, [s for _, s in candidates])
    nearby = [(d, doc) for (d, _), doc in zip(candidates, docs, strict=True)
              if doc is not None and doc["status"] in stores.VISIBLE_STATUSES
              and query.merchant_id in (None, doc["partnerId"])]
    rows: list[Row] = []
    for merchant in dict.fromkeys(doc["partnerId"] for _, doc in nearby):
        for deal in await merchant_deals(db, merchant):
            if not on_sale(deal, now):
                continue
            nearest = next((d for d, doc in nearby if redeemable_at(deal, doc)), None)
            if nearest is not None:
                rows.append((nearest, deal))
    return sorted(rows, key=lambda r: (r[0], r[1]["_id"]))


async def find_deals(db: AsyncDatabase, query: DealQuery, after: list[Any] | None,
                     first: int, now: datetime) -> list[Row]:
    """Up to ``first + 1`` deals past ``after`` (the extra one tells a next page exists)."""
    if query.near is not None:
        rows = await _near(db, query, now)
    elif query.merchant_id is not None:
        rows = [(None, d) for d in await merchant_deals(db, query.merchant_id)
                if on_sale(d, now)]
    else:
        filters: Document = {"status": "ACTIVE", "validUntil": {"$gt": now}}
        if after is not None:
            filters["_id"] = {"$gt": after[1]}
        found = await db[DEALS].find(filters).sort("_id", 1).limit(first + 1).to_list()
        return [(None, d) for d in found]
    return [r for r in rows if _past(r, after)][:first + 1]
