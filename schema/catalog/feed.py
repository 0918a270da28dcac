"""The inventory change feed: per-partner sequence numbers and a safe watermark (DESIGN.md §8).

A writer takes a *lease* on a range of sequence numbers (one compare-and-set on the
partner's feed document that both advances ``next`` and records the lease's lowest number),
writes its rows and one change entry per applied row (``invchg:<partner>:<seq>``), then
drops the lease. A reader serves only numbers at or below the watermark — just below the
oldest live lease — so a writer that committed late is never skipped: its numbers were
not served yet. A crashed writer's lease expires after :data:`LEASE_TTL`; its unused
numbers are holes, which readers step over.
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from ulid import ULID

from schema.catalog.collections import CHANGES, FEEDS
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
    """Reserve ``size`` consecutive sequence numbers for one write."""
    feed_id, token = f"feed:{partner_id}", str(ULID())
    while True:
        now = utcnow()
        current = await db[FEEDS].find_one({"_id": feed_id})
        if current is None:
            try:
                await db[FEEDS].insert_one({"_id": feed_id, "next": size,
                                            "leases": {token: {"low": 1, "at": now}}})
                return Lease(partner_id, token, 1, size)
            except DuplicateKeyError:
                continue
        last = current["next"]
        claimed = await db[FEEDS].update_one(
            {"_id": feed_id, "next": last},
            {"$set": {"next": last + size, f"leases.{token}": {"low": last + 1, "at": now}}})
        if claimed.matched_count:
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
    await db[FEEDS].update_one({"_id": f"feed:{lease.partner_id}"},
                               {"$unset": {f"leases.{lease.token}": ""}})


async def watermark(db: AsyncDatabase, partner_id: str) -> int:
    """The highest sequence number every write at or below which has finished."""
    feed = await db[FEEDS].find_one({"_id": f"feed:{partner_id}"})
    if feed is None:
        return 0
    oldest_live = utcnow() - LEASE_TTL
    lows = [lease["low"] for lease in feed.get("leases", {}).values()
            if lease["at"] > oldest_live]
    return min(lows) - 1 if lows else feed["next"]


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
