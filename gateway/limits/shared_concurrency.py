"""The in-flight allowance of an app shared by every gateway process on one database.

The allowance (``per_key`` operations, ``cost_per_key`` estimated cost) is divided into
*shares* that processes lease: one document per app (``_id`` = the app's key, a point read)
lists each holding process's share and when its lease ends, written through the revision
claim (FerretDB's updates are not atomic). A process admits operations against its own share
without touching the database; only when an operation does not fit does it try to grow the
share (one claimed write), taking a step of a tenth of the allowance more than it needs if
that is free, so a process writes when its app's load there rises, not per operation. A
share is handed back (one write) once the process has had nothing running for ``idle_s``,
and shrunk to what runs plus a step when it has been larger than that for ``idle_s``.

The sum of the unexpired shares never exceeds the allowance, so neither do the operations
running across all processes, with one exception kept from the single-process rule: an
operation over ``cost_per_key`` is admitted when its process has nothing running and no
other process holds a share. Leases outlive the operations they admit: a share is grown or
renewed whenever an operation would otherwise run past the lease's end (operations end
within ``longest_s``), so a process that dies frees its share when its lease ends (at most
``2 * longest_s``) and a live one never loses the share its operations hold. Work that
ignores its deadline past ``longest_s`` (see :mod:`gateway.limits.concurrency`) may outlive
its share; others may then run on top of it until it ends.

Shares held but not used are not free for the others until shrunk or handed back: an app
may be refused at one process while the others hold up to a step each (plus, for up to
``idle_s``, what they ran at their peak) unused.
"""

import asyncio
import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.limits.concurrency import Release
from schema.kernel.buckets import Clock
from schema.kernel.claims import CLAIM_RETENTION, update_claimed

SHARES = "concurrency_shares"
IDLE_S = 30.0
STEP = 1 / 10
"""A share grows by this much of the allowance beyond what it needs, when that is free."""
_log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Held:
    ops: int = 0
    cost: int = 0
    until: float = 0.0
    running_ops: int = 0
    running_cost: int = 0
    idle_since: float = 0.0
    changed_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SharedConcurrency:
    """:class:`~gateway.limits.ConcurrencyLimiter`'s allowance, leased in shares from ``db``."""

    def __init__(self, db: AsyncDatabase, per_key: int, cost_per_key: int, *,
                 longest_s: float, idle_s: float = IDLE_S, clock: Clock = time.time) -> None:
        self.per_key = per_key
        self.cost_per_key = cost_per_key
        self._db = db
        self._collection = db[SHARES]
        self._longest_s = longest_s
        self._idle_s = idle_s
        self._clock = clock
        self._step_ops = math.ceil(per_key * STEP)
        self._step_cost = math.ceil(cost_per_key * STEP)
        self._holder = f"p{uuid.uuid4().hex}"
        self._held: dict[str, _Held] = {}
        self._settled_at = clock()
        self._settling: asyncio.Task[None] | None = None

    async def acquire(self, key: str, cost: int) -> Release | None:
        """A share of ``key``'s allowance for one operation costing ``cost``, released by
        calling the result once its work has ended; None when over the allowance."""
        self._settle_when_due()
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = _Held()
        if not self._fits(held, cost):
            async with held.lock:
                if not self._fits(held, cost) and not await self._grow(key, held, cost):
                    return None
        return self._run(key, held, cost)

    def _fits(self, held: _Held, cost: int) -> bool:
        return (held.running_ops + 1 <= held.ops and held.running_cost + cost <= held.cost
                and held.until - self._clock() >= self._longest_s)

    def _run(self, key: str, held: _Held, cost: int) -> Release:
        held.running_ops += 1
        held.running_cost += cost
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            held.running_ops -= 1
            held.running_cost -= cost
            if not held.running_ops:
                held.idle_since = self._clock()

        return release

    async def _grow(self, key: str, held: _Held, cost: int) -> bool:
        granted: tuple[int, int, float] | None = None

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            nonlocal granted
            now = self._clock()
            holders = {h: v for h, v in (current or {}).get("held", {}).items()
                       if v[2] > now and h != self._holder}
            free_ops = self.per_key - sum(v[0] for v in holders.values())
            free_cost = self.cost_per_key - sum(v[1] for v in holders.values())
            need_ops, need_cost = held.running_ops + 1, held.running_cost + cost
            alone = not holders and not held.running_ops
            granted = None
            if need_ops > free_ops or (need_cost > free_cost and not alone):
                return None
            granted = (min(free_ops, need_ops + self._step_ops - 1),
                       max(need_cost, min(free_cost, need_cost + self._step_cost)),
                       now + 2 * self._longest_s)
            return _shares({**holders, self._holder: list(granted)}, now)

        await update_claimed(self._collection, self._db, key, change)
        if granted is None:
            return False
        held.ops, held.cost, held.until = granted
        held.changed_at = self._clock()
        return True

    async def _shrink(self, key: str, held: _Held) -> None:
        """Keep what runs plus a step; the smaller share applies here before it is written,
        so nothing is admitted meanwhile on the larger one."""
        async with held.lock:
            held.ops = min(held.ops, held.running_ops + self._step_ops)
            held.cost = min(held.cost, held.running_cost + self._step_cost)
            held.changed_at = self._clock()
            share = [held.ops, held.cost, held.until]

            def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
                holders = (current or {}).get("held", {})
                mine = holders.get(self._holder)
                if mine is None or mine[2] != share[2]:
                    return None
                return _shares({**holders, self._holder: share}, self._clock())

            await update_claimed(self._collection, self._db, key, change)

    def running(self, key: str) -> int:
        """Operations of ``key`` running in this process."""
        held = self._held.get(key)
        return held.running_ops if held else 0

    def cost_running(self, key: str) -> int:
        held = self._held.get(key)
        return held.running_cost if held else 0

    def _settle_when_due(self) -> None:
        now = self._clock()
        if now - self._settled_at < self._idle_s or self._settling is not None:
            return
        self._settled_at = now
        self._settling = asyncio.get_running_loop().create_task(self.settle())
        self._settling.add_done_callback(self._settled)

    def _settled(self, task: "asyncio.Task[None]") -> None:
        self._settling = None
        if not task.cancelled() and task.exception() is not None:
            _log.warning("handing back idle concurrency shares failed: %r", task.exception())

    async def settle(self) -> None:
        """Hand back the shares of apps with nothing running here for ``idle_s``, and shrink
        those larger than their use for as long."""
        now = self._clock()
        for key, held in list(self._held.items()):
            if held.lock.locked():
                continue
            if held.running_ops:
                oversized = (held.ops > held.running_ops + self._step_ops
                             or held.cost > held.running_cost + self._step_cost)
                if oversized and now - held.changed_at >= self._idle_s and held.until > now:
                    await self._shrink(key, held)
                continue
            if now - held.idle_since < self._idle_s:
                continue
            del self._held[key]
            if held.ops and held.until > now:
                await update_claimed(self._collection, self._db, key,
                                     lambda current, until=held.until: self._without(current,
                                                                                    until))

    def _without(self, current: dict[str, Any] | None, until: float) -> dict[str, Any] | None:
        """The document without this process's share leased until ``until``; a share leased
        since (by a new operation after the old one was let go) stays."""
        holders = (current or {}).get("held", {})
        mine = holders.get(self._holder)
        if mine is None or mine[2] != until:
            return None
        now = self._clock()
        return _shares({h: v for h, v in holders.items() if h != self._holder and v[2] > now},
                       now)


def _shares(held: dict[str, list[Any]], now: float) -> dict[str, Any]:
    """The document: each holder's ``[operations, cost, lease end]``, and when the last
    lease ends (for :func:`sweep_idle_shares`)."""
    return {"held": held, "until": max((v[2] for v in held.values()), default=now)}


async def sweep_idle_shares(db: AsyncDatabase, clock: Clock = time.time) -> int:
    """Delete the documents of apps whose last share ended longer ago than claims are kept
    (anonymous callers are keyed by address, so there is one per address); returns how
    many. A writer that read one just deleted writes it again with its own share only."""
    cutoff = clock() - CLAIM_RETENTION.total_seconds()
    result = await db[SHARES].delete_many({"until": {"$lt": cutoff}})
    return result.deleted_count
