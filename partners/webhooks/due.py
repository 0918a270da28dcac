"""Which deliveries are due, found with ``_id`` point reads only (no scans, no hot document).

Time is cut into slots of :data:`SLOT` (a minute), and each slot into :data:`SHARDS` buckets
(``whdue:<YYYYMMDDHHMMSS>:<shard>`` in :data:`DUE`, the shard a hash of the delivery id), so
several workers deliver one slot's deliveries side by side. A delivery due now is listed in
the current slot; one due later in the first slot that starts at or after its time, so every
entry of a bucket is due when its slot begins and no worker ever waits inside a bucket: a
retry is up to a slot late, a new delivery not at all. Entries are
``<deliveryId>#<generation>#<listed at, ms>``, appended under
:func:`schema.kernel.claims.update_claimed`. The generation changes at each (re)scheduling,
so a stale entry (the delivery has since been rescheduled, replayed or finished) is
recognised and skipped; entries are never removed from a bucket. An entry is listed before
its generation is written (:func:`.deliveries.reschedule`), so a worker meeting an entry
newer than its delivery waits for the write, up to :data:`WRITE_DEADLINE` after the listing
(a claimed write lands by then or never).

A bucket is worked by the holder of its lease (``whbucket:<slot>:<shard>``,
:mod:`schema.kernel.leases`), who records how many of its entries are handled in a small
progress document (``whdone:<slot>:<shard>``) after each chunk: a worker that dies leaves the
rest, and the next holder (once the lease has run out) starts at the recorded count, so
nothing is lost and at most one chunk is attempted twice.

The cursor document (``whdue:cursor``) names the oldest slot that may still have work.
Workers read buckets from there to now (an idle round: a point read per bucket of the
current slot, and of the one before while it may still get entries, :class:`Seen`); the
cursor moves past a slot once its bucket is handled or absent and the slot is :data:`SETTLE`
old, since nobody appends to a slot that long past (a claimed append writes within
``WRITE_WITHIN`` or not at all, and its slot is taken when it starts).
"""

import asyncio
import contextlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
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
SHARDS = 4
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


def shard_of(delivery_id: str) -> int:
    return zlib.crc32(delivery_id.encode()) % SHARDS


def bucket_id(slot: datetime, shard: int) -> str:
    return f"whdue:{slot.strftime(_FORMAT)}:{shard}"


def progress_id(slot: datetime, shard: int) -> str:
    return f"whdone:{slot.strftime(_FORMAT)}:{shard}"


def lease_name(slot: datetime, shard: int) -> str:
    return f"whbucket:{slot.strftime(_FORMAT)}:{shard}"


def entry(delivery_id: str, generation: int) -> str:
    """A listing of the delivery's ``generation``, stamped with when it was made."""
    return f"{delivery_id}#{generation}#{int(utcnow().timestamp() * 1000)}"


def parse_entry(text: str) -> tuple[str, int, datetime]:
    """The delivery id, generation and listing time of an entry."""
    delivery_id, generation, at = text.rsplit("#", 2)
    return delivery_id, int(generation), datetime.fromtimestamp(int(at) / 1000, UTC)


async def schedule(db: AsyncDatabase, entries: Sequence[str], due_at: datetime) -> datetime:
    """List ``entries`` (all due at ``due_at``) in their buckets (by shard); returns their
    slot."""
    slot = due_slot(due_at)
    await _ensure_cursor(db, slot)
    by_shard: dict[int, list[str]] = {}
    for listed in entries:
        by_shard.setdefault(shard_of(parse_entry(listed)[0]), []).append(listed)

    async def append(shard: int, more: list[str]) -> None:
        def appended(current: Document | None) -> Document:
            return {"entries": [*(current or {}).get("entries", []), *more]}

        await update_claimed(db[DUE], db, bucket_id(slot, shard), appended)

    await asyncio.gather(*(append(shard, more) for shard, more in by_shard.items()))
    return slot


_cursor_seen: set[str] = set()


async def _ensure_cursor(db: AsyncDatabase, slot: datetime) -> None:
    """Start the cursor at ``slot`` if there is none yet, so a bucket listed before any
    worker ran is not passed over (an insert: atomic everywhere)."""
    if db.name in _cursor_seen:
        return
    with contextlib.suppress(DuplicateKeyError):
        await db[DUE].insert_one({"_id": CURSOR, "minute": slot.strftime(_FORMAT), "rev": 0})
    _cursor_seen.add(db.name)


async def cursor(db: AsyncDatabase) -> datetime:
    """The oldest slot that may have work."""
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


@dataclass(frozen=True, slots=True)
class Bucket:
    """One shard of one slot: its entries and how many of them are handled."""

    slot: datetime
    shard: int
    entries: list[str]
    done: int

    @property
    def finished(self) -> bool:
        return self.done >= len(self.entries)


def sealed(slot: datetime, now: datetime) -> bool:
    """Whether nothing more can be listed in ``slot``: an append starts while its slot is
    current (or earlier) and lands within :data:`WRITE_DEADLINE` or not at all."""
    return now >= slot + SLOT + WRITE_DEADLINE


@dataclass
class Seen:
    """What one dispatcher already knows of the buckets, so an idle round costs a few point
    reads: how many entries of each bucket are handled at least (progress never moves back,
    entries are only ever appended), and which buckets are finished and sealed (never read
    again). Forgotten once the cursor passes their slot (:meth:`forget_before`)."""

    done: dict[tuple[datetime, int], int] = field(default_factory=dict)
    settled: set[tuple[datetime, int]] = field(default_factory=set)

    def handled(self, slot: datetime, shard: int, done: int) -> None:
        key = (slot, shard)
        self.done[key] = max(done, self.done.get(key, 0))

    def forget_before(self, slot: datetime) -> None:
        self.done = {k: v for k, v in self.done.items() if k[0] >= slot}
        self.settled = {k for k in self.settled if k[0] >= slot}


async def buckets(db: AsyncDatabase, slots: Sequence[datetime],
                  seen: Seen | None = None) -> list[Bucket]:
    """Every shard of each slot, slot by slot: a point read of each bucket that is not known
    finished and sealed, and of its progress only when it lists more entries than are known
    handled (``seen``, updated here; none: read everything)."""
    known = seen if seen is not None else Seen()
    now = utcnow()
    keys = [(slot, shard) for slot in slots for shard in range(SHARDS)]
    unsettled = [k for k in keys if k not in known.settled]
    lists = dict(zip(unsettled, await get_many(db[DUE], [bucket_id(*k) for k in unsettled]),
                     strict=True))
    entries = {k: (lists[k] or {}).get("entries", []) for k in unsettled}
    unknown = [k for k in unsettled if len(entries[k]) > known.done.get(k, 0)]
    for key, found in zip(unknown, await get_many(db[DUE], [progress_id(*k) for k in unknown]),
                          strict=True):
        known.handled(*key, (found or {}).get("done", 0))
    found_buckets = []
    for key in keys:
        bucket = Bucket(*key, entries.get(key, []), known.done.get(key, 0))
        if key in unsettled and bucket.finished and sealed(key[0], now):
            known.settled.add(key)
        found_buckets.append(bucket)
    return found_buckets


async def record_progress(db: AsyncDatabase, slot: datetime, shard: int, done: int) -> None:
    """``done`` entries of the bucket are handled (never moves back)."""

    def forward(current: Document | None) -> Document | None:
        if current is not None and current["done"] >= done:
            return None
        return {"done": done}

    await update_claimed(db[DUE], db, progress_id(slot, shard), forward)


async def forget(db: AsyncDatabase, slot: datetime) -> None:
    """Remove a settled, handled slot's documents (the cursor has passed it)."""
    for shard in range(SHARDS):
        await db[DUE].delete_one({"_id": bucket_id(slot, shard)})
        await db[DUE].delete_one({"_id": progress_id(slot, shard)})
        await db[LEASES].delete_one({"_id": lease_name(slot, shard)})
