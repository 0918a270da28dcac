"""Stores in MongoDB: point reads by id, the ``store-code:<partner>:<code>`` lookup, lists
with filters (read from the list pages of :mod:`schema.stores.listing`), merchant-scoped
upsert and status changes (tenancy: DESIGN.md §5). Every change is written under a revision
claim together with its ``store.updated`` event (:mod:`schema.stores.changes`), then copied
into the store's lists.

Anyone with ``stores:read`` may read any store (the open catalogue); only the owning partner
(or the platform admin) may change one.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.claims import update_claimed
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.events import mark_pending, pending_marker
from schema.kernel.ids import new_id
from schema.kernel.indexes import IndexSpec
from schema.kernel.principal import Principal
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow
from schema.stores import geo, listing, placement
from schema.stores.changes import revise

STORES = "stores"
STORE_CODES = "store_codes"
STATUSES = ("OPEN", "TEMPORARILY_CLOSED", "CLOSED", "ARCHIVED")
STORE_ID_FIELD = ("input", "storeId")

INDEXES: tuple[IndexSpec, ...] = (
    IndexSpec.on(STORES, "partnerId", "code", unique=True),
    IndexSpec.on(listing.MARKS, "at"),
)

Document = dict[str, Any]


def code_key(partner_id: str, code: str) -> str:
    return f"store-code:{partner_id}:{code}"


async def get_store(db: AsyncDatabase, store_id: str) -> Document | None:
    return await db[STORES].find_one({"_id": store_id})


async def get_stores(db: AsyncDatabase, store_ids: Sequence[str]) -> list[Document | None]:
    """Many stores by id, in order (concurrent ``_id`` point reads: indexed on every server)."""
    return await get_many(db[STORES], store_ids)


async def store_id_for_code(db: AsyncDatabase, partner_id: str, code: str) -> str | None:
    found = await db[STORE_CODES].find_one({"_id": code_key(partner_id, code)})
    return found["storeId"] if found else None


def scope_of(filters: dict[str, Any]) -> str:
    """The listing a filter reads: its merchant's, or the whole catalogue's."""
    return filters.get("merchantId") or listing.ALL


def counted(filters: dict[str, Any]) -> bool:
    """Whether the filter's total is a maintained counter (no filter but the merchant)."""
    return all(filters.get(k) is None for k in ("city", "service", "status", "codes"))


def matcher(filters: dict[str, Any]) -> listing.Match:
    """The filter as a test of (status, city, services, code); archived stores match only a
    filter by that status."""
    status, city, service = filters.get("status"), filters.get("city"), filters.get("service")
    codes = None if filters.get("codes") is None else frozenset(filters["codes"])

    def match(store: Document) -> bool:
        return ((store["status"] == status if status else listing.is_listed(store["status"]))
                and (city is None or store["address"]["city"] == city)
                and (service is None or service in store["services"])
                and (codes is None or store["code"] in codes))

    return match


@dataclass(frozen=True, slots=True)
class StoreList:
    """One page of a store list: (listing number, store copy) pairs in order; whether more
    may follow; and the last listing number read (past the last store when the read stopped
    at :data:`listing.MAX_SCAN_PAGES`)."""

    stores: list[tuple[int, Document]]
    has_next: bool
    position: int


async def list_stores(db: AsyncDatabase, filters: dict[str, Any], first: int,
                      after: int) -> StoreList:
    """Up to ``first`` stores past listing number ``after`` in the filter's listing, in the
    order they were created; archived stores only when asked for by status."""
    found = await listing.scan(db, scope_of(filters), after, first + 1, matcher(filters))
    page = found.found[:first]
    position = page[-1][0] if len(found.found) > first else found.position
    return StoreList(page, len(found.found) > first or found.more, position)


async def count_stores(db: AsyncDatabase, filters: dict[str, Any]) -> int:
    """How many stores the filter lists: a counter read without other filters than the
    merchant; otherwise the matches among the listing's first
    ``MAX_SCAN_PAGES * BLOCK`` (2,000) stores, read page by page."""
    scope = scope_of(filters)
    if counted(filters):
        return await listing.listed_count(db, scope)
    found = await listing.scan(db, scope, 0, listing.MAX_SCAN_PAGES * listing.BLOCK + 1,
                               matcher(filters))
    return len(found.found)


async def _claim_id(db: AsyncDatabase, partner_id: str,
                    code: str) -> tuple[str, listing.Numbers]:
    """The store id and listing numbers for (partner, code), given once: the lookup insert is
    the arbiter when two upserts of a new code race (the loser's numbers stay unused)."""
    key = code_key(partner_id, code)
    existing = await db[STORE_CODES].find_one({"_id": key})
    if existing is None:
        store_id, (numbers,) = new_id("sto"), await listing.allocate(db, partner_id)
        try:
            await db[STORE_CODES].insert_one({"_id": key, "storeId": store_id,
                                              "listing": numbers})
            return store_id, numbers
        except DuplicateKeyError:
            existing = await db[STORE_CODES].find_one({"_id": key})
            assert existing is not None
    return existing["storeId"], await _listing_numbers(db, partner_id, existing)


async def _numbers(db: AsyncDatabase, store: Document) -> listing.Numbers:
    found = await db[STORE_CODES].find_one({"_id": code_key(store["partnerId"], store["code"])})
    if found is None:
        raise RuntimeError(f"store {store['_id']} has no code lookup")
    return await _listing_numbers(db, store["partnerId"], found)


async def _listing_numbers(db: AsyncDatabase, partner_id: str,
                           lookup: Document) -> listing.Numbers:
    """A store's listing numbers; a store created before lists had them gets them now (its
    next write lists it)."""
    if "listing" in lookup:
        return lookup["listing"]
    (numbers,) = await listing.allocate(db, partner_id)

    def given(current: Document | None) -> Document | None:
        return None if current is None or "listing" in current else {**current,
                                                                      "listing": numbers}

    await update_claimed(db[STORE_CODES], db, lookup["_id"], given)
    found = await db[STORE_CODES].find_one({"_id": lookup["_id"]})
    assert found is not None
    return found["listing"]


def _upserted(fields: Document, store_id: str, partner_id: str, current: Document | None,
              now: datetime) -> Document:
    """The store after an upsert of ``fields`` over ``current``: status and creation time
    are kept (only :func:`set_status` changes the status)."""
    location = fields["location"]
    return {**(current or {}), **fields, "_id": store_id, "partnerId": partner_id,
            "h3": geo.cells_of(location["lat"], location["lng"]), "updatedAt": now,
            "status": current["status"] if current else "OPEN",
            "createdAt": current["createdAt"] if current else now}


async def upsert_store(db: AsyncDatabase, principal: Principal, fields: Document) -> Document:
    """Create or update the caller's store with ``fields["code"]``; returns the stored document.
    ``fields`` is already validated (see :mod:`schema.stores.validation`). An upsert that
    changes nothing writes nothing (no revision, no event)."""
    partner_id = principal.require_partner()
    store_id, numbers = await _claim_id(db, partner_id, fields["code"])
    now = utcnow()
    old = await get_store(db, store_id)
    if old is not None and revise(old, _upserted(fields, store_id, partner_id, old, now),
                                  now) is None:
        await listing.record(db, [(old, numbers)])  # a retry completes a listing left behind
        return old
    replaced: list[Document | None] = [old]

    def change(current: Document | None) -> Document | None:
        replaced[0] = current
        return revise(current, _upserted(fields, store_id, partner_id, current, now), now)

    written = await _write_listed(db, store_id, numbers, change)
    if written is None:
        return replaced[0] or await _existing(db, store_id)
    await _move(db, replaced[0], written)
    return written


async def _existing(db: AsyncDatabase, store_id: str) -> Document:
    store = await get_store(db, store_id)
    if store is None:
        raise RuntimeError(f"store {store_id} vanished while being written")
    return store


async def _write_store(db: AsyncDatabase, store_id: str,
                       change: Callable[[Document | None], Document | None]) -> Document | None:
    """Write one change of a store with its outbox event, under a revision claim (FerretDB
    updates are not atomic: an unarbitrated replace or ``$set`` can undo a concurrent one).

    A pending marker goes in right before the claim and another after the write
    (:mod:`schema.kernel.events`): the second lets the relay move the event at once, the
    first covers a crash between the write and the second."""
    marker = [pending_marker(STORES, store_id)]
    await mark_pending(db, marker)
    written = await update_claimed(db[STORES], db, store_id, change)
    if written is not None:
        await mark_pending(db, marker)
    return written


async def _write_listed(db: AsyncDatabase, store_id: str, numbers: listing.Numbers,
                        change: Callable[[Document | None], Document | None]) -> Document | None:
    """:func:`_write_store`, then the store's list copies brought up to what it wrote; the
    store is marked meanwhile, so lists a writer that died left stale are repaired
    (:mod:`schema.stores.listing`)."""
    mark = await listing.begin(db, store_id)
    written = await _write_store(db, store_id, change)
    if written is not None:
        await listing.record(db, [(written, numbers)])
    await listing.end(db, mark)
    return written


async def repair_listing(db: AsyncDatabase) -> int:
    """Re-copy into the lists the stores whose writers died before copying them (a job: run
    it every few seconds); returns how many it repaired."""
    async def read(store_id: str) -> tuple[Document, listing.Numbers] | None:
        store = await get_store(db, store_id)
        return None if store is None else (store, await _numbers(db, store))

    return await listing.repair(db, read)


async def _move(db: AsyncDatabase, previous: Document | None, written: Document) -> None:
    """Move the store between geo buckets when the write changed its location (the ordering
    of concurrent moves is explained in :mod:`schema.stores.placement`)."""
    if previous is not None and previous.get("location") == written["location"]:
        return
    store_id, revision = written["_id"], written["rev"]
    left = placement.bucket_ids(previous.get("h3") if previous else None)
    await asyncio.gather(placement.enter(db, written),
                         placement.drop(db, store_id, left - placement.bucket_ids(written["h3"]),
                                        below=revision))
    now = await get_store(db, store_id)
    if now is not None and now["location"] != written["location"]:
        await placement.drop(db, store_id, placement.bucket_ids(written["h3"])
                             - placement.bucket_ids(now["h3"]), below=revision + 1)


async def set_status(db: AsyncDatabase, principal: Principal, store_id: str,
                     status: str) -> tuple[Document | None, list[UserError]]:
    """Change a store's status (archiving is the ARCHIVED status); only its owner may.
    Setting the status it already has writes nothing."""
    store = await get_store(db, store_id)
    if store is None:
        return None, [UserError(UserErrorCode.NOT_FOUND, "no such store", STORE_ID_FIELD)]
    if not principal.owns(store["partnerId"]):
        return None, [UserError(UserErrorCode.FORBIDDEN, "the store belongs to another partner",
                                STORE_ID_FIELD)]
    numbers = await _numbers(db, store)
    if store["status"] == status:
        await listing.record(db, [(store, numbers)])  # a retry completes a listing left behind
        return store, []
    now = utcnow()

    def change(current: Document | None) -> Document | None:
        if current is None:
            return None
        return revise(current, {**current, "status": status, "updatedAt": now}, now)

    written = await _write_listed(db, store_id, numbers, change)
    return written or await _existing(db, store_id), []
