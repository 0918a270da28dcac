"""The inventory change feed: per-partner sequence numbers and a safe watermark (DESIGN.md §8).

A writer records a *lease* document, then takes a range of sequence numbers (advancing the
partner's ``next``; the step is arbitrated by a claim insert, since FerretDB's conditional
updates are not atomic), writes its rows, and records their changes as *pages*: sequence
numbers come in blocks of :data:`BLOCK`, a lease is a whole number of blocks, and the
changes of one block go into one document (``invpage:<partner>:<block>``, inserted once by
the block's only writer). Then it drops the lease. A reader serves only numbers at or below
the watermark (just below the oldest live lease), so a writer that committed late is never
skipped: its numbers were not served yet. Below the watermark a block without a page simply
had no changes (or its writer crashed: a lease expires after :data:`LEASE_TTL`). A sync of
10,000 items writes 20 pages instead of 10,000 entries, and a reader reads a page of changes
with a few point reads.
"""

import contextlib
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


def page_id(partner_id: str, block: int) -> str:
    return f"invpage:{partner_id}:{block}"


def block_of(seq: int) -> int:
    """Sequence numbers start at 1; block ``b`` holds ``b*BLOCK + 1 … (b+1)*BLOCK``."""
    return (seq - 1) // BLOCK


@dataclass(frozen=True, slots=True)
class Lease:
    partner_id: str
    token: str
    low: int
    size: int


async def take_lease(db: AsyncDatabase, partner_id: str, size: int) -> Lease:
    """Reserve whole blocks holding at least ``size`` consecutive numbers for one write.

    The lease document goes in *before* ``next`` moves past its numbers, and a reader reads
    ``next`` before the leases, so it never sees the numbers without the lease.
    """
    feed_id, token = f"feed:{partner_id}", str(ULID())
    lease_id = f"lease:{partner_id}:{token}"
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
            {"_id": lease_id},
            {"partnerId": partner_id, "low": last + 1, "at": utcnow()}, upsert=True)
        if await claim(db, f"{feed_id}:{last}"):
            await db[FEEDS].update_one({"_id": feed_id},
                                       {"$set": {"next": start + blocks * BLOCK}})
            return Lease(partner_id, token, start + 1, blocks * BLOCK)


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
    pages = [{"_id": page_id(lease.partner_id, block), "entries": found}
             for block, found in blocks.items()]
    try:
        await db[CHANGES].insert_many(pages, ordered=False)
    except BulkWriteError as exc:
        if any(e["code"] != 11000 for e in exc.details["writeErrors"]):
            raise


async def release(db: AsyncDatabase, lease: Lease) -> None:
    await db[LEASES].delete_one({"_id": f"lease:{lease.partner_id}:{lease.token}"})


async def watermark(db: AsyncDatabase, partner_id: str) -> int:
    """The highest sequence number every write at or below which has finished."""
    feed = await db[FEEDS].find_one({"_id": f"feed:{partner_id}"})
    if feed is None:
        return 0
    oldest_live = utcnow() - LEASE_TTL
    leases = await db[LEASES].find({"partnerId": partner_id}).to_list()
    lows = [lease["low"] for lease in leases if lease["at"] > oldest_live]
    return min([feed["next"], *(low - 1 for low in lows)])


async def read_changes(db: AsyncDatabase, partner_id: str, after: int,
                       limit: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Up to ``limit`` change entries after sequence number ``after``, in order; the new
    cursor (the last number covered); and whether numbers past it are already safe."""
    safe = await watermark(db, partner_id)
    found: list[dict[str, Any]] = []
    cursor = after
    block = block_of(after + 1)
    stop = min(block_of(safe) + 1, block + _MAX_BLOCKS_PER_CALL)
    while block < stop and len(found) < limit:
        last_block = min(block + _PAGES_PER_READ, stop)
        pages = await get_many(db[CHANGES], [page_id(partner_id, b)
                                             for b in range(block, last_block)])
        for number, page in zip(range(block, last_block), pages, strict=True):
            for entry in (page or {}).get("entries", []):
                if cursor < entry["seq"] <= safe:
                    found.append(entry)
                    if len(found) == limit:
                        return found, entry["seq"], entry["seq"] < safe
            cursor = min((number + 1) * BLOCK, safe)
        block = last_block
    return found, cursor, cursor < safe
