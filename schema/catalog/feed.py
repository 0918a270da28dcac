"""The inventory change feeds: sequence numbers and a safe watermark (DESIGN.md §8).

There is one feed per partner (every change of its stores) and one per store (that store's
changes only, so ``inventoryChanges(storeId)`` reads nothing of the other stores). Both
work alike, named by their *feed key* (the partner id, or the store id).

A writer records a *lease* document, then takes a range of sequence numbers (advancing the
feed's ``next``; the step is arbitrated by a claim insert, since FerretDB's conditional
updates are not atomic), writes its rows, and records their changes as *pages*: sequence
numbers come in blocks of :data:`BLOCK`, a lease is a whole number of blocks, and the
changes of one block go into one document (``invpage:<feed key>:<block>``, inserted once by
the block's only writer). Then it drops the lease. A reader serves only numbers at or below
the watermark (just below the oldest live lease), so a writer that committed late is never
skipped: its numbers were not served yet. Below the watermark a block without a page simply
had no changes (or its writer crashed: a lease expires after :data:`LEASE_TTL`). A sync of
10,000 items writes 20 pages instead of 10,000 entries, and a reader reads a page of changes
with a few point reads.

A sync takes its partner-feed lease before it writes (its rows carry their number), so an
all-STALE sync leaves empty blocks there. Store-feed numbers are taken only for changes
already written (:func:`record_store_changes`, once per chunk), which is just as safe — a
change numbered after a reader passed the watermark gets a number above it — and leaves no
empty blocks but a crashed writer's: a store-feed read goes on past empty blocks until it has
found a change or reached the watermark, so it never answers an empty page with more to come.
"""

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from ulid import ULID

from schema.catalog.collections import CHANGES, FEEDS, LEASES
from schema.kernel.claims import claim
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

LEASE_TTL = timedelta(minutes=10)
BLOCK = 500
_PAGES_PER_READ = 16
_MAX_BLOCKS_PER_CALL = 256


def page_id(feed_key: str, block: int) -> str:
    return f"invpage:{feed_key}:{block}"


def block_of(seq: int) -> int:
    """Sequence numbers start at 1; block ``b`` holds ``b*BLOCK + 1 … (b+1)*BLOCK``."""
    return (seq - 1) // BLOCK


@dataclass(frozen=True, slots=True)
class Lease:
    feed_key: str
    token: str
    low: int
    size: int


async def take_lease(db: AsyncDatabase, feed_key: str, size: int) -> Lease:
    """Reserve whole blocks holding at least ``size`` consecutive numbers for one write.

    The lease document goes in *before* ``next`` moves past its numbers, and a reader reads
    ``next`` before the leases, so it never sees the numbers without the lease.
    """
    feed_id, token = f"feed:{feed_key}", str(ULID())
    lease_id = f"lease:{feed_key}:{token}"
    while True:
        current = await db[FEEDS].find_one({"_id": feed_id})
        if current is None:
            with contextlib.suppress(DuplicateKeyError):
                await db[FEEDS].insert_one({"_id": feed_id, "next": 0})
            continue
        last = current["next"]
        start = -(-last // BLOCK) * BLOCK   # a lease begins a block
        blocks = max(1, -(-size // BLOCK))
        await db[LEASES].replace_one(
            {"_id": lease_id}, {"feed": feed_key, "low": last + 1, "at": utcnow()}, upsert=True)
        if await claim(db, f"{feed_id}:{last}"):
            await db[FEEDS].update_one({"_id": feed_id},
                                       {"$set": {"next": start + blocks * BLOCK}})
            return Lease(feed_key, token, start + 1, blocks * BLOCK)


async def record_changes(db: AsyncDatabase, lease: Lease, entries: list[dict[str, Any]]) -> None:
    """Write the changes (each with its ``seq`` in ``lease``) of one or more whole blocks, one
    page per block; call it once per block (a replay of a page is a no-op)."""
    blocks: dict[int, list[dict[str, Any]]] = {}
    for entry in sorted(entries, key=lambda e: e["seq"]):
        if not lease.low <= entry["seq"] < lease.low + lease.size:
            raise ValueError(f"sequence number {entry['seq']} is outside the lease")
        blocks.setdefault(block_of(entry["seq"]), []).append(entry)
    if not blocks:
        return
    pages = [{"_id": page_id(lease.feed_key, block), "entries": found}
             for block, found in blocks.items()]
    try:
        await db[CHANGES].insert_many(pages, ordered=False)
    except BulkWriteError as exc:
        if any(e["code"] != 11000 for e in exc.details["writeErrors"]):
            raise


async def release(db: AsyncDatabase, lease: Lease) -> None:
    await db[LEASES].delete_one({"_id": f"lease:{lease.feed_key}:{lease.token}"})


async def record_store_changes(db: AsyncDatabase, store_id: str, row_ids: Sequence[str]) -> None:
    """Number rows already written in the store's own feed and record them."""
    if not row_ids:
        return
    lease = await take_lease(db, store_id, len(row_ids))
    try:
        await record_changes(db, lease, [{"seq": lease.low + offset, "rowId": row_id}
                                         for offset, row_id in enumerate(row_ids)])
    finally:
        await release(db, lease)


async def watermark(db: AsyncDatabase, feed_key: str) -> int:
    """The highest sequence number every write at or below which has finished."""
    feed = await db[FEEDS].find_one({"_id": f"feed:{feed_key}"})
    if feed is None:
        return 0
    oldest_live = utcnow() - LEASE_TTL
    leases = await db[LEASES].find({"feed": feed_key}).to_list()
    lows = [lease["low"] for lease in leases if lease["at"] > oldest_live]
    return min([feed["next"], *(low - 1 for low in lows)])


async def read_changes(db: AsyncDatabase, feed_key: str, after: int, limit: int, *,
                       until_found: bool = False) -> tuple[list[dict[str, Any]], int, bool]:
    """Up to ``limit`` change entries after sequence number ``after``, in order; the new
    cursor (the last number covered); and whether numbers past it are already safe.

    A call reads at most :data:`_MAX_BLOCKS_PER_CALL` blocks, or with ``until_found`` as many
    as it takes to find a change (or reach the watermark). Pages are read 1, 2, 4 … at a
    time, so a small page costs a few point reads.
    """
    safe = await watermark(db, feed_key)
    found: list[dict[str, Any]] = []
    cursor = after
    block = block_of(after + 1)
    end = block_of(safe) + 1
    budget = block + _MAX_BLOCKS_PER_CALL
    batch = 1
    while block < end and len(found) < limit and (block < budget or (until_found and not found)):
        last_block = min(block + batch, end)
        pages = await get_many(db[CHANGES], [page_id(feed_key, b)
                                             for b in range(block, last_block)])
        for number, page in zip(range(block, last_block), pages, strict=True):
            for entry in (page or {}).get("entries", []):
                if cursor < entry["seq"] <= safe:
                    found.append(entry)
                    if len(found) == limit:
                        return found, entry["seq"], entry["seq"] < safe
            cursor = min((number + 1) * BLOCK, safe)
        block = last_block
        batch = min(batch * 2, _PAGES_PER_READ)
    return found, cursor, cursor < safe
