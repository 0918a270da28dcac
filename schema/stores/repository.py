"""Stores in MongoDB: point reads by id, the ``store-code:<partner>:<code>`` lookup, listing
with filters, merchant-scoped upsert and status changes (tenancy: DESIGN.md §5).

Anyone with ``stores:read`` may read any store (the open catalogue); only the owning partner
(or the platform admin) may change one.
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.claims import update_claimed
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import new_id
from schema.kernel.indexes import IndexSpec
from schema.kernel.principal import Principal
from schema.kernel.time import utcnow
from schema.stores import geo

STORES = "stores"
STORE_CODES = "store_codes"
STATUSES = ("OPEN", "TEMPORARILY_CLOSED", "CLOSED", "ARCHIVED")

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec.on(STORES, "partnerId", "code", unique=True),
    IndexSpec.on(STORES, "address.city"),
    IndexSpec.on(STORES, "status"),
)

Document = dict[str, Any]


def code_key(partner_id: str, code: str) -> str:
    return f"store-code:{partner_id}:{code}"


async def get_store(db: AsyncDatabase, store_id: str) -> Document | None:
    return await db[STORES].find_one({"_id": store_id})


async def get_stores(db: AsyncDatabase, store_ids: Sequence[str]) -> list[Document | None]:
    """Many stores by id, in order (concurrent ``_id`` point reads: indexed on every server)."""
    return list(await asyncio.gather(*(get_store(db, i) for i in store_ids)))


async def store_id_for_code(db: AsyncDatabase, partner_id: str, code: str) -> str | None:
    found = await db[STORE_CODES].find_one({"_id": code_key(partner_id, code)})
    return found["storeId"] if found else None


def _query(filters: dict[str, Any], after: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if filters.get("merchantId") is not None:
        query["partnerId"] = filters["merchantId"]
    if filters.get("city") is not None:
        query["address.city"] = filters["city"]
    if filters.get("service") is not None:
        query["services"] = filters["service"]
    query["status"] = filters["status"] if filters.get("status") else {"$ne": "ARCHIVED"}
    if filters.get("codes") is not None:
        query["code"] = {"$in": list(filters["codes"])}
    if after is not None:
        query["_id"] = {"$gt": after}
    return query


async def list_stores(db: AsyncDatabase, filters: dict[str, Any], first: int,
                      after: str | None) -> tuple[list[Document], int]:
    """Up to ``first + 1`` stores after the cursor id (by id), and the filter's total count.
    Archived stores are listed only when asked for by status."""
    rows = await db[STORES].find(_query(filters, after)).sort("_id", 1).limit(first + 1).to_list()
    total = await db[STORES].count_documents(_query(filters, None))
    return rows, total


async def _claim_id(db: AsyncDatabase, partner_id: str, code: str) -> str:
    """The store id for (partner, code), created once: the lookup insert is the arbiter when
    two upserts of a new code race."""
    existing = await store_id_for_code(db, partner_id, code)
    if existing is not None:
        return existing
    try:
        store_id = new_id("sto")
        await db[STORE_CODES].insert_one({"_id": code_key(partner_id, code), "storeId": store_id})
        return store_id
    except DuplicateKeyError:
        found = await store_id_for_code(db, partner_id, code)
        assert found is not None
        return found


async def upsert_store(db: AsyncDatabase, principal: Principal, fields: Document) -> Document:
    """Create or update the caller's store with ``fields["code"]``; returns the stored document.
    ``fields`` is already validated (see :mod:`schema.stores.validation`)."""
    partner_id = principal.require_partner()
    store_id = await _claim_id(db, partner_id, fields["code"])
    old = await get_store(db, store_id)
    now = utcnow()
    location = fields["location"]
    document = {**fields, "_id": store_id, "partnerId": partner_id,
                "h3": geo.cells_of(location["lat"], location["lng"]), "updatedAt": now,
                "status": old["status"] if old else "OPEN",
                "createdAt": old["createdAt"] if old else now}
    await db[STORES].replace_one({"_id": store_id}, document, upsert=True)
    await _move_buckets(db, store_id, old.get("h3") if old else None, location)
    return document


async def _move_buckets(db: AsyncDatabase, store_id: str, old_cells: dict[str, str] | None,
                        location: Document) -> None:
    """Move the store between bucket documents; buckets are shared by many stores, so each
    is rewritten under a revision claim (concurrent upserts must not lose each other)."""
    mine = geo.entry(store_id, location["lat"], location["lng"])
    new_buckets = {geo.bucket_id(int(res), cell) for res, cell in
                   geo.cells_of(location["lat"], location["lng"]).items()}
    old_buckets = {geo.bucket_id(int(res), cell) for res, cell in (old_cells or {}).items()}

    def others(current: Document | None) -> list[Document]:
        return [e for e in (current or {}).get("s", []) if e["i"] != store_id]

    def entering(current: Document | None) -> Document | None:
        if mine in (current or {}).get("s", []):
            return None
        return {"s": [*others(current), mine]}

    def leaving(current: Document | None) -> Document | None:
        if current is None or len(others(current)) == len(current.get("s", [])):
            return None
        return {"s": others(current)}

    await asyncio.gather(
        *(update_claimed(db[geo.bucket_collection(b)], db, b, entering) for b in new_buckets),
        *(update_claimed(db[geo.bucket_collection(b)], db, b, leaving)
          for b in old_buckets - new_buckets))
    await _list_in_directory(db, geo.cells_of(location["lat"], location["lng"]))


async def _list_in_directory(db: AsyncDatabase, cells: dict[str, str]) -> None:
    """Record the store's (now existing) buckets in their directory document."""
    await merge_directory(db, {"_id": geo.directory_id(cells[str(geo.DIRECTORY_RES)]),
                               **{f"c{res}": [cell] for res, cell in cells.items()}})


async def merge_directory(db: AsyncDatabase, listing: Document) -> None:
    """Add the cells of ``listing`` (``{_id, c5: [...], ...}``) to its directory document."""
    additions = {k: v for k, v in listing.items() if k.startswith("c")}

    def merged(current: Document | None) -> Document | None:
        known = {k: v for k, v in (current or {}).items() if k.startswith("c")}
        if all(set(cells) <= set(known.get(name, [])) for name, cells in additions.items()):
            return None
        return {**known, **{name: sorted({*known.get(name, []), *cells})
                            for name, cells in additions.items()}}

    await update_claimed(db[geo.DIRECTORY], db, listing["_id"], merged)


async def set_status(db: AsyncDatabase, principal: Principal, store_id: str,
                     status: str) -> tuple[Document | None, list[UserError]]:
    """Change a store's status; only its owner may."""
    store = await get_store(db, store_id)
    if store is None:
        return None, [UserError(UserErrorCode.NOT_FOUND, "no such store", ("storeId",))]
    if not principal.owns(store["partnerId"]):
        return None, [UserError(UserErrorCode.FORBIDDEN, "the store belongs to another partner",
                                ("storeId",))]
    now = utcnow()
    await db[STORES].update_one({"_id": store_id}, {"$set": {"status": status, "updatedAt": now}})
    return {**store, "status": status, "updatedAt": now}, []
