"""Earned points expire ``LOOPGATE_POINTS_EXPIRY_MONTHS`` (default 24) after they were earned.

The wallet does the expiring (:func:`schema.wallet.expire_due` writes EXPIRE entries); this
module finds whose lots are due without reading every wallet. Earning a lot first files the
member under its expiry day in a *bucket*: ``expiry:<YYYY-MM-DD>:<shard>`` in
``points_expiry`` (:data:`SHARDS` per day, by member, so concurrent earnings rarely write
the same bucket; a bucket is a shared document, written under a revision claim, and only when
the member is not in it yet). A *cursor* document holds the first day not swept yet.

The sweep (:func:`sweep_expiry`, a subgraph sweep) walks the days from the cursor up to
yesterday (UTC), at most :data:`DAYS_PER_SWEEP` per run: per day it reads the day's buckets by
``_id``, expires each member's due lots, deletes the buckets and moves the cursor on. Each
expiry is an operation named by (day, member), so a sweep that dies half way, or two sweeps
racing, expire nothing twice. A lot expires within a day of its time; until then the wallet
no longer spends it (it spends unexpired lots only), so the delay only shows in the balance.
Filing happens before the earning: an earning that then fails leaves a member in a bucket
with nothing due, which the sweep passes over.
"""

import calendar
import hashlib
import os
from datetime import date, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.claims import update_claimed
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow
from schema.wallet import expire_due

EXPIRY_ENV = "LOOPGATE_POINTS_EXPIRY_MONTHS"
DEFAULT_MONTHS = 24
POINTS_EXPIRY = "points_expiry"
CURSOR = "expiry-cursor"
SHARDS = 32
DAYS_PER_SWEEP = 31


def expiry_months() -> int:
    raw = os.environ.get(EXPIRY_ENV, "").strip()
    months = int(raw) if raw else DEFAULT_MONTHS
    if months < 1:
        raise ValueError(f"{EXPIRY_ENV} must be at least 1, got {months}")
    return months


def expires_at_for(earned_at: datetime, months: int | None = None) -> datetime:
    """``earned_at`` plus the expiry period, on the same day of the month (or the month's last
    day when it is shorter)."""
    months = expiry_months() if months is None else months
    index = earned_at.month - 1 + months
    year, month = earned_at.year + index // 12, index % 12 + 1
    day = min(earned_at.day, calendar.monthrange(year, month)[1])
    return earned_at.replace(year=year, month=month, day=day)


def _shard(member_id: str) -> int:
    return hashlib.sha256(member_id.encode()).digest()[0] % SHARDS


def _bucket_id(day: date, shard: int) -> str:
    return f"expiry:{day.isoformat()}:{shard}"


async def schedule_expiry(db: AsyncDatabase, member_id: str, expires_at: datetime) -> None:
    """File ``member_id`` under the day its new lot expires (before the lot is earned)."""
    day = expires_at.date()
    await _lower_cursor(db, day)
    bucket = _bucket_id(day, _shard(member_id))
    found = await db[POINTS_EXPIRY].find_one({"_id": bucket}, {"members": 1})
    if found is not None and member_id in found["members"]:
        return

    def add(current: dict | None) -> dict | None:
        members = (current or {}).get("members", [])
        return None if member_id in members else {"day": day.isoformat(),
                                                  "members": [*members, member_id]}

    await update_claimed(db[POINTS_EXPIRY], db, bucket, add)


async def _lower_cursor(db: AsyncDatabase, day: date) -> None:
    found = await db[POINTS_EXPIRY].find_one({"_id": CURSOR})
    if found is None:
        try:
            await db[POINTS_EXPIRY].insert_one({"_id": CURSOR, "next": day.isoformat(), "rev": 0})
            return
        except DuplicateKeyError:
            found = await db[POINTS_EXPIRY].find_one({"_id": CURSOR})
    if found is not None and found["next"] <= day.isoformat():
        return

    def lower(current: dict | None) -> dict | None:
        if current is not None and current["next"] <= day.isoformat():
            return None
        return {"next": day.isoformat()}

    await update_claimed(db[POINTS_EXPIRY], db, CURSOR, lower)


async def sweep_expiry(db: AsyncDatabase, now: datetime | None = None) -> int:
    """Expire the due lots of the members filed under the days before today; returns how many
    EXPIRE entries were written."""
    now = now or utcnow()
    cursor = await db[POINTS_EXPIRY].find_one({"_id": CURSOR})
    if cursor is None:
        return 0
    day, written = date.fromisoformat(cursor["next"]), 0
    for _ in range(DAYS_PER_SWEEP):
        if day >= now.date():
            break
        written += await _sweep_day(db, day, now)
        day += timedelta(days=1)
        await _advance_cursor(db, day)
    return written


async def _sweep_day(db: AsyncDatabase, day: date, now: datetime) -> int:
    ids = [_bucket_id(day, shard) for shard in range(SHARDS)]
    buckets = [b for b in await get_many(db[POINTS_EXPIRY], ids) if b is not None]
    written = 0
    for bucket in buckets:
        for member_id in bucket["members"]:
            applied = await expire_due(db, member_id, f"expire:{day.isoformat()}:{member_id}",
                                       now=now)
            written += 0 if applied.repeated else len(applied.entries)
    for bucket in buckets:
        await db[POINTS_EXPIRY].delete_one({"_id": bucket["_id"]})
    return written


async def _advance_cursor(db: AsyncDatabase, day: date) -> None:
    def advance(current: dict | None) -> dict | None:
        if current is not None and current["next"] >= day.isoformat():
            return None
        return {"next": day.isoformat()}

    await update_claimed(db[POINTS_EXPIRY], db, CURSOR, advance)
