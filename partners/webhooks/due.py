"""Which deliveries are due, found with ``_id`` point reads only (no scans, no hot document).

Time is cut into slots of :data:`SLOT` (a minute). A delivery due now is listed in the bucket
of the current slot; one due later in the bucket of the first slot that starts at or after
its time (``whdue:<YYYYMMDDHHMMSS>`` in :data:`DUE`), so every entry of a bucket is due when
its slot begins and no worker ever waits inside a bucket: a retry is up to a slot late, a
new delivery not at all. Entries are ``<deliveryId>#<generation>#<listed at, ms>``, appended
under :func:`schema.kernel.claims.update_claimed`. The generation changes at each
(re)scheduling, so a stale entry (the delivery has since been rescheduled, replayed or
finished) is recognised and skipped; entries are never removed from a bucket. An entry is
listed before its generation is written (:func:`.deliveries.reschedule`), so a worker meeting
an entry newer than its delivery waits for the write, up to :data:`WRITE_DEADLINE` after the
listing (a claimed write lands by then or never).

A bucket is worked by the holder of its lease (``whbucket:<minute>``, :mod:`schema.kernel.leases`),
who records how many of its entries are handled in a small progress document
(``whdone:<minute>``) after each chunk: a worker that dies leaves the rest, and the next holder
(once the lease has run out) starts at the recorded count, so nothing is lost and at most one
chunk is attempted twice.

The cursor document (``whdue:cursor``) names the oldest slot that may still have work.
Workers read buckets from there to now; the cursor moves past a slot once its bucket is
handled or absent and the slot is :data:`SETTLE` old, since nobody appends to a slot that
long past (a claimed append writes within ``WRITE_WITHIN`` or not at all, and its slot is
taken when it starts).
"""

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.claims import WAIT_TURN, WRITE_WITHIN, update_claimed
from schema.kernel.leases import LEASES
from schema.kernel.reads import get_many
from schema.kernel.time import as_utc, utcnow

DUE = "webhook_due"
CURSOR = "whdue:cursor"
SLOT = timedelta(minutes=1)
SETTLE = timedelta(minutes=2)
WRITE_DEADLINE = timedelta(seconds=WAIT_TURN) + WRITE_WITHIN
MAX_SLOTS_PER_ROUND = 1440
_FORMAT = "%Y%m%d%H%M%S"

Document = dict[str, Any]


def slot_of(at: datetime) -> datetime:
    """The start of the slot ``at`` falls in."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return epoch + (as_utc(at) - epoch) // SLOT * SLOT


def due_slot(due_at: datetime) -> datetime:
    """The bucket a delivery due at ``due_at`` goes in: now's slot if it is due already,
    else the first slot starting at or after ``due_at``."""
    now = utcnow()
    if due_at <= now:
        return slot_of(now)
    start = slot_of(due_at)
    return start if start == due_at else start + SLOT


def bucket_id(minute: datetime) -> str:
    return f"whdue:{minute.strftime(_FORMAT)}"


def progress_id(minute: datetime) -> str:
    return f"whdone:{minute.strftime(_FORMAT)}"


def lease_name(minute: datetime) -> str:
    return f"whbucket:{minute.strftime(_FORMAT)}"


def entry(delivery_id: str, generation: int) -> str:
    """A listing of the delivery's ``generation``, stamped with when it was made."""
    return f"{delivery_id}#{generation}#{int(utcnow().timestamp() * 1000)}"


def parse_entry(text: str) -> tuple[str, int, datetime]:
    """The delivery id, generation and listing time of an entry."""
    delivery_id, generation, at = text.rsplit("#", 2)
    return delivery_id, int(generation), datetime.fromtimestamp(int(at) / 1000, UTC)


async def schedule(db: AsyncDatabase, entries: Sequence[str], due_at: datetime) -> datetime:
    """List ``entries`` (all due at ``due_at``) in their bucket; returns its slot."""
    minute = due_slot(due_at)
    await _ensure_cursor(db, minute)
    if entries:
        def appended(current: Document | None) -> Document:
            return {"entries": [*(current or {}).get("entries", []), *entries]}

        await update_claimed(db[DUE], db, bucket_id(minute), appended)
    return minute


_cursor_seen: set[str] = set()


async def _ensure_cursor(db: AsyncDatabase, minute: datetime) -> None:
    """Start the cursor at ``minute`` if there is none yet, so a bucket listed before any
    worker ran is not passed over (an insert: atomic everywhere)."""
    if db.name in _cursor_seen:
        return
    with contextlib.suppress(DuplicateKeyError):
        await db[DUE].insert_one({"_id": CURSOR, "minute": minute.strftime(_FORMAT), "rev": 0})
    _cursor_seen.add(db.name)


async def cursor(db: AsyncDatabase) -> datetime:
    """The oldest minute that may have work."""
    found = await db[DUE].find_one({"_id": CURSOR})
    if found is None:
        await _ensure_cursor(db, slot_of(utcnow() - SETTLE))
        found = await db[DUE].find_one({"_id": CURSOR})
    return datetime.strptime(found["minute"], _FORMAT).replace(tzinfo=UTC)


async def advance_cursor(db: AsyncDatabase, to: datetime) -> None:
    """Move the cursor forward to ``to`` (never back)."""
    wanted = to.strftime(_FORMAT)

    def forward(current: Document | None) -> Document | None:
        if current is not None and current["minute"] >= wanted:
            return None
        return {"minute": wanted}

    await update_claimed(db[DUE], db, CURSOR, forward)


async def buckets(db: AsyncDatabase, minutes: Sequence[datetime]
                  ) -> list[tuple[datetime, list[str], int]]:
    """Each minute's entries and how many of them are handled (two point reads per minute)."""
    ids = [bucket_id(m) for m in minutes] + [progress_id(m) for m in minutes]
    found = await get_many(db[DUE], ids)
    lists, progress = found[:len(minutes)], found[len(minutes):]
    return [(m, (b or {}).get("entries", []), (p or {}).get("done", 0))
            for m, b, p in zip(minutes, lists, progress, strict=True)]


async def record_progress(db: AsyncDatabase, minute: datetime, done: int) -> None:
    """``done`` entries of the minute's bucket are handled (never moves back)."""

    def forward(current: Document | None) -> Document | None:
        if current is not None and current["done"] >= done:
            return None
        return {"done": done}

    await update_claimed(db[DUE], db, progress_id(minute), forward)


async def forget(db: AsyncDatabase, minute: datetime) -> None:
    """Remove a settled, handled minute's documents (the cursor has passed it)."""
    await db[DUE].delete_one({"_id": bucket_id(minute)})
    await db[DUE].delete_one({"_id": progress_id(minute)})
    await db[LEASES].delete_one({"_id": lease_name(minute)})
