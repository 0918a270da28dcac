"""Named leases: at most one process at a time does a piece of work (relays, sweeps, upkeep).

Several Loopgate processes (uvicorn workers, replicas behind a proxy) share one database, and
some work must run in only one of them: two relays moving the same outbox would deliver
events twice, and N sweeps scan the same collections N times. A lease is one document in
:data:`LEASES` (``_id`` = the lease's name) naming its ``holder`` and when it ``expires``.
It is taken, renewed and released through :func:`schema.kernel.claims.update_claimed`,
because a conditional update is not atomic on FerretDB v1 (two contenders could both "win"
an expired lease); the revision claim lets exactly one writer through.

The rules that keep one holder at a time:

- a process takes a lease that is free, expired, or already its own;
- the holder renews every :data:`RENEW_EVERY` (a fifth of :data:`LEASE_TTL`), so a live
  holder never lets it expire; a holder that dies stops renewing and another process takes
  over within :data:`LEASE_TTL` plus one renewal interval;
- a holder that cannot renew (the database is away, or another process took the lease) stops
  its work two renewal intervals before its term ends (:func:`hold_lease_forever`), measured
  on its own monotonic clock from the start of the last renewal that succeeded;
- a holder that stops cleanly releases the lease, so a restart hands over at once.

Expiry compares wall-clock times written by different processes: their clocks must agree
within a few seconds (NTP), which is the usual requirement of lease-based coordination.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from ulid import ULID

from schema.kernel.claims import Contended, update_claimed
from schema.kernel.time import as_utc, utcnow

LEASES = "leases"
LEASE_TTL = timedelta(seconds=15)
RENEW_EVERY = LEASE_TTL / 5
_CLAIM_WAIT_S = 2.0
"""How long one take or renewal waits for its turn at a busy lease document."""

_log = logging.getLogger("loopgate.leases")

Document = dict[str, Any]


def process_holder_id() -> str:
    """A holder id unique to this process and start (host, pid, random part): a restarted
    process with a recycled pid is still another holder."""
    return f"{socket.gethostname()}:{os.getpid()}:{ULID()}"


HOLDER = process_holder_id()
"""This process's holder id, shared by every lease it takes."""


@dataclass(frozen=True, slots=True)
class Lease:
    """The lease ``name`` in ``db``, as seen by ``holder`` (this process by default)."""

    db: AsyncDatabase
    name: str
    holder: str = HOLDER
    ttl: timedelta = LEASE_TTL

    async def acquire(self) -> bool:
        """Take or renew the lease; True when this holder has it for ``ttl`` from now.

        False when another holder's term has not ended, or when the document stayed too busy
        to write (the caller tries again at its next round)."""

        def take(current: Document | None) -> Document | None:
            now = utcnow()
            if current is not None and current.get("holder") != self.holder \
                    and as_utc(current["expiresAt"]) > now:
                return None
            since = current["since"] if _held_by(current, self.holder) else now
            return {"holder": self.holder, "expiresAt": now + self.ttl, "since": since}

        try:
            written = await update_claimed(self.db[LEASES], self.db, self.name, take,
                                           wait=_CLAIM_WAIT_S)
        except Contended:
            return False
        return written is not None

    async def release(self) -> bool:
        """Give the lease up if this holder has it, so another process takes it at once."""

        def free(current: Document | None) -> Document | None:
            if not _held_by(current, self.holder):
                return None
            return {"holder": None, "expiresAt": utcnow(), "since": None}

        try:
            return await update_claimed(self.db[LEASES], self.db, self.name, free,
                                        wait=_CLAIM_WAIT_S) is not None
        except Contended:
            return False

    async def current_holder(self) -> str | None:
        """Who holds the lease now (None when free or expired): an ``_id`` point read."""
        found = await self.db[LEASES].find_one({"_id": self.name})
        if found is None or found.get("holder") is None or as_utc(found["expiresAt"]) <= utcnow():
            return None
        return str(found["holder"])


def _held_by(current: Document | None, holder: str) -> bool:
    return current is not None and current.get("holder") == holder


@dataclass
class LeaseRunner:
    """Runs ``work`` only while holding ``lease`` (see :func:`hold_lease_forever`);
    ``holding`` says whether it does now (for health pages and tests)."""

    lease: Lease
    work: Callable[[], Awaitable[None]]
    renew_every_s: float = RENEW_EVERY.total_seconds()
    holding: bool = False
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _valid_until: float = field(default=0.0, repr=False)

    async def run_forever(self) -> None:
        try:
            while True:
                await self._round()
                await asyncio.sleep(self.renew_every_s)
        finally:
            await self._stop()
            with contextlib.suppress(PyMongoError, Contended, TimeoutError):
                async with asyncio.timeout(_CLAIM_WAIT_S):
                    await asyncio.shield(self.lease.release())

    async def _round(self) -> None:
        """Take or renew the lease; start the work when taken, stop it when this holder's
        own term ran out or another holder took over."""
        self._reap()
        started = time.monotonic()
        if await self._try_acquire():
            # Stop two renewals short of the term the others see: a holder that cannot
            # renew (two failed rounds) stops before anyone may take over.
            self._valid_until = started + self.lease.ttl.total_seconds() - 2 * self.renew_every_s
            self._start()
        elif self._task is not None and (time.monotonic() >= self._valid_until
                                         or await self._taken_over()):
            _log.warning("lease %s lost; stopping its work", self.lease.name)
            await self._stop()

    async def _try_acquire(self) -> bool:
        """One take or renewal; a holder's attempt never outlasts its own term (a database
        that hangs must not keep the work running past it). An attempt cut off between its
        revision claim and its write leaves the claim to be taken over after
        :data:`schema.kernel.claims.CLAIM_LEASE`: the lease stays unwritable that long, so
        nobody holds it meanwhile, which errs on the safe side."""
        budget = self._valid_until - time.monotonic() if self._task is not None else None
        try:
            async with asyncio.timeout(max(budget, 0.1) if budget is not None else None):
                return await self.lease.acquire()
        except (PyMongoError, TimeoutError):
            _log.warning("lease %s: could not take or renew it", self.lease.name, exc_info=True)
            return False

    async def _taken_over(self) -> bool:
        """Whether another holder has the lease now (then this one must stop at once)."""
        try:
            holder = await self.lease.current_holder()
        except PyMongoError:
            return False
        return holder is not None and holder != self.lease.holder

    def _reap(self) -> None:
        """Forget work that ended by itself (logged when it failed): it starts again at the
        next round this process holds the lease."""
        task = self._task
        if task is None or not task.done():
            return
        self._task, self.holding = None, False
        if not task.cancelled() and task.exception() is not None:
            _log.error("work under lease %s failed", self.lease.name,
                       exc_info=task.exception())

    def _start(self) -> None:
        if self._task is None:
            _log.info("lease %s taken by %s", self.lease.name, self.lease.holder)
            self._task = asyncio.create_task(self.work(), name=f"lease:{self.lease.name}")
        self.holding = True

    async def _stop(self) -> None:
        self.holding = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def hold_lease_forever(lease: Lease, work: Callable[[], Awaitable[None]], *,
                             renew_every_s: float = RENEW_EVERY.total_seconds()) -> None:
    """Run ``work()`` in this process only while it holds ``lease``, until cancelled.

    Every ``renew_every_s`` the lease is taken or renewed. While held, ``work`` runs as a
    task; it is cancelled when the lease is lost (taken over, or not renewed before this
    holder's own term ends) and started again once the lease is back. Cancelling this
    coroutine cancels ``work`` and releases the lease.
    """
    await LeaseRunner(lease, work, renew_every_s).run_forever()
