"""The inventory change feed: per-partner sequence numbers and a safe watermark (DESIGN.md §8).

A writer records a *lease* document, then takes a range of sequence numbers (advancing the
partner's ``next``; the step is arbitrated by a claim insert, since FerretDB's conditional
updates are not atomic), writes its rows and one change entry per applied row
(``invchg:<partner>:<seq>``), then drops the lease. A reader serves only numbers at or
below the watermark — just below the oldest live lease — so a writer that committed late
is never skipped: its numbers were not served yet. A crashed writer's lease expires after
:data:`LEASE_TTL`; its unused numbers are holes, which readers step over.
"""

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from ulid import ULID

from schema.catalog.collections import CHANGES, FEEDS, LEASES
from schema.kernel.claims import claim
from schema.kernel.time import utcnow

LEASE_TTL = timedelta(minutes=10)


def change_id(partner_id: str, seq: int) -> str:
    return f"invchg:{partner_id}:{seq}"


@dataclass(frozen=True, slots=True)
class Lease:
    partner_id: str
    token: str
    low: int
    size: int


async def take_lease(db: AsyncDatabase, partner_id: str, size: int) -> Lease:
    """Reserve ``size`` consecutive sequence numbers for one write.

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
        await db[LEASES].replace_one(
            {"_id": lease_id},
            {"partnerId": partner_id, "low": last + 1, "at": utcnow()}, upsert=True)
        if await claim(db, f"{feed_id}:{last}"):
            await db[FEEDS].update_one({"_id": feed_id}, {"$set": {"next": last + size}})
            return Lease(partner_id, token, last + 1, size)


async def record_changes(db: AsyncDatabase, lease: Lease, entries: list[dict[str, Any]]) -> None:
    """Write change entries (each with its ``seq``); replays of the same entry are no-ops."""
    if not entries:
        return
    documents = [{"_id": change_id(lease.partner_id, e["seq"]), **e} for e in entries]
    try:
        await db[CHANGES].insert_many(documents, ordered=False)
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
    """Change entries after ``after`` up to ``limit`` numbers on, the new cursor and whether
    more numbers are already safe to read."""
    safe = await watermark(db, partner_id)
    until = min(after + limit, safe)
    if until <= after:
        return [], after, False
    found = await asyncio.gather(*(db[CHANGES].find_one({"_id": change_id(partner_id, s)})
                                   for s in range(after + 1, until + 1)))
    return [f for f in found if f is not None], until, until < safe
