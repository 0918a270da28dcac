"""Token buckets whose level is stored once for every process: the shared side of a budget.

A bucket holds up to ``maximum`` tokens and gets ``per_second`` back every second (a rate of
0 never refills: a pool of shares). Its state is a level at an instant; a bucket nobody
touched is full. Processes do not spend from the store per request: they *withdraw* a slice
(:mod:`schema.kernel.budget_slices`) and spend it locally, and *deposit* what they did not
spend. Only a withdrawal that grants something, or a deposit, writes.

:class:`MongoBuckets` keeps each bucket in one document (``_id`` = the bucket's name, a point
read) written through the revision claim (:func:`~schema.kernel.claims.update_claimed`),
since FerretDB's updates are not atomic: two processes can never both withdraw the same
tokens. Every withdrawal is taken from the stored level, so the tokens spent across all
processes never exceed what the bucket holds plus what it refilled (see ``budget_slices``
for the bound). The refill clock is the writers' wall clocks; the stored instant never moves
back, so a writer whose clock runs behind gets no refill until it catches up, and one whose
clock runs ahead by ``s`` seconds adds at most ``s * per_second`` tokens once.

:class:`MemoryBuckets` is the same for a process without a database (one process: the
standalone gateway without ``--mongo``); it forgets full buckets, so its memory is bounded
by the buckets being refilled. :func:`sweep_full_buckets` removes the documents of buckets
that have long been full.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import CLAIM_RETENTION, update_claimed

BUCKETS = "rate_buckets"

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Rate:
    """A bucket's size and refill: ``maximum`` tokens, ``per_second`` restored each second."""

    maximum: float
    per_second: float

    def level(self, level: float, at: float, now: float) -> float:
        """The level at ``now`` of a bucket that held ``level`` at ``at``."""
        return min(self.maximum, level + max(0.0, now - at) * self.per_second)

    def seconds_until(self, missing: float) -> float:
        """How long the bucket takes to refill ``missing`` tokens (inf if it never does)."""
        if missing <= 0:
            return 0.0
        return missing / self.per_second if self.per_second > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """What a withdrawal got (``granted``, possibly 0) and the level it left at ``at``."""

    granted: float
    left: float
    at: float


class BucketStore(Protocol):
    async def withdraw(self, bucket: str, rate: Rate, want: float, least: float,
                       returning: float = 0.0) -> Withdrawal:
        """Put back ``returning`` (unspent tokens), then take up to ``want`` tokens if at
        least ``least`` are there, else none."""
        ...


def _settle(rate: Rate, stored: tuple[float, float] | None, now: float, want: float,
            least: float, returning: float) -> tuple[Withdrawal, bool]:
    """The withdrawal from a stored ``(level, at)`` (None: full), and whether it changes
    anything worth writing."""
    at = now if stored is None else max(now, stored[1])
    level = rate.maximum if stored is None else rate.level(stored[0], stored[1], now)
    level = min(rate.maximum, level + returning)
    granted = min(want, level) if level >= least and level > 0 and want > 0 else 0.0
    return Withdrawal(granted, level - granted, at), granted > 0 or returning > 0


class MemoryBuckets:
    """Buckets in this process's memory: for a gateway without a database."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._forget_at = 64
        self._levels: dict[str, tuple[float, float, Rate]] = {}

    async def withdraw(self, bucket: str, rate: Rate, want: float, least: float,
                       returning: float = 0.0) -> Withdrawal:
        stored = self._levels.get(bucket)
        withdrawal, changed = _settle(rate, stored and stored[:2], self._clock(), want, least,
                                      returning)
        if changed:
            self._levels[bucket] = (withdrawal.left, withdrawal.at, rate)
            self._forget_full()
        return withdrawal

    def _forget_full(self) -> None:
        """Drop buckets that have refilled (a missing bucket is a full one), whenever the
        number kept has doubled since the last time."""
        if len(self._levels) < self._forget_at:
            return
        now = self._clock()
        for name, (level, at, rate) in list(self._levels.items()):
            if rate.level(level, at, now) >= rate.maximum:
                del self._levels[name]
        self._forget_at = max(64, 2 * len(self._levels))

    def __len__(self) -> int:
        return len(self._levels)


class MongoBuckets:
    """Buckets in ``db``'s ``rate_buckets`` collection, one document per bucket."""

    def __init__(self, db: AsyncDatabase, clock: Clock = time.time) -> None:
        self._db = db
        self._collection = db[BUCKETS]
        self._clock = clock

    async def withdraw(self, bucket: str, rate: Rate, want: float, least: float,
                       returning: float = 0.0) -> Withdrawal:
        outcome: Withdrawal | None = None

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            nonlocal outcome
            stored = None if current is None else (current["level"], current["at"])
            outcome, changed = _settle(rate, stored, self._clock(), want, least, returning)
            if not changed:
                return None
            full_in = rate.seconds_until(rate.maximum - outcome.left)
            return {"level": outcome.left, "at": outcome.at,
                    "fullAt": outcome.at + full_in if math.isfinite(full_in) else None}

        await update_claimed(self._collection, self._db, bucket, change)
        assert outcome is not None
        return outcome


async def sweep_full_buckets(db: AsyncDatabase, clock: Clock = time.time) -> int:
    """Delete the documents of buckets that have been full for longer than claims are kept
    (a missing bucket is a full one), so keys seen once (an address that fetched a token)
    do not pile up; returns how many. Safe beside writers: a writer that read a document
    just deleted writes it again from the level it read, which was full."""
    cutoff = clock() - CLAIM_RETENTION.total_seconds()
    result = await db[BUCKETS].delete_many({"fullAt": {"$lt": cutoff}})
    return result.deleted_count
