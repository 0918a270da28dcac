"""Periodic jobs of the platform subgraphs (outbox relays, sweepers), run by the server.

A job is ``async (db) -> int`` (how much it did); a failing round is logged and retried at
the next tick, so one bad document never stops the relay. The server runs one runner per
database, live and sandbox (:func:`gateway.platform.platform_jobs`): a job has no principal,
so the database it is handed is its mode. Jobs run every ``interval_s``
(at once again while one still has work); sweeps, which only delete what has been kept
long enough, every ``sweep_every_s``.

Several processes share one database (``--workers N``, replicas behind a proxy), and a relay
must not run twice: :func:`run_jobs_under_lease` runs a database's jobs only in the process
holding the lease ``jobs:<database>`` (:mod:`schema.kernel.leases`), and
:func:`run_under_lease` does the same for other periodic work (the OAuth upkeep). When the
holder dies another process takes over within the lease's term (about 15 s).

:class:`WithBackground` runs such loops beside any ASGI app, from its lifespan's start-up to
its shutdown, without touching the app's own lifespan.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.kernel.leases import RENEW_EVERY, Lease, hold_lease_forever
from schema.kernel.subgraph import Job

logger = logging.getLogger("loopgate.jobs")


async def _run(db: AsyncDatabase, job: Job) -> int:
    try:
        return await job(db)
    except Exception:
        logger.exception("background job %s failed; retrying", job.__qualname__)
        return 0


async def run_jobs_forever(db: AsyncDatabase, jobs: Sequence[Job], sweeps: Sequence[Job] = (),
                           interval_s: float = 2.0, sweep_every_s: float = 300.0) -> None:
    """Run every job, then sleep ``interval_s`` (skipped while a job still has work); run the
    sweeps at start and then once every ``sweep_every_s``."""
    next_sweep = time.monotonic()
    while True:
        if time.monotonic() >= next_sweep:
            next_sweep = time.monotonic() + sweep_every_s
            for sweep in sweeps:
                await _run(db, sweep)
        busy = False
        for job in jobs:
            busy = await _run(db, job) > 0 or busy
        if not busy:
            await asyncio.sleep(interval_s)


def lease_for(db: AsyncDatabase, work: str) -> Lease:
    """This process's view of the lease ``<work>:<database>`` (kept in that database)."""
    return Lease(db, f"{work}:{db.name}")


async def run_under_lease(db: AsyncDatabase, work: str,
                          run_forever: Callable[[], Awaitable[None]], *,
                          lease: Lease | None = None,
                          renew_every_s: float = RENEW_EVERY.total_seconds()) -> None:
    """``run_forever()`` only while this process holds the lease ``<work>:<database>``
    (``lease`` overrides it, for tests), until cancelled."""
    await hold_lease_forever(lease or lease_for(db, work), run_forever,
                             renew_every_s=renew_every_s)


async def run_jobs_under_lease(db: AsyncDatabase, jobs: Sequence[Job],
                               sweeps: Sequence[Job] = (), *, lease: Lease | None = None,
                               renew_every_s: float = RENEW_EVERY.total_seconds(),
                               interval_s: float = 2.0, sweep_every_s: float = 300.0) -> None:
    """:func:`run_jobs_forever` in the one process holding the lease ``jobs:<database>``."""
    await run_under_lease(
        db, "jobs",
        lambda: run_jobs_forever(db, jobs, sweeps, interval_s=interval_s,
                                 sweep_every_s=sweep_every_s),
        lease=lease, renew_every_s=renew_every_s)


Starters = Callable[[], Sequence[Coroutine[Any, Any, None]]]


class WithBackground:
    """ASGI wrapper: once the wrapped app's start-up completes, ``starters()``'s coroutines
    run as tasks; at shutdown they are cancelled before the app shuts down."""

    def __init__(self, app: ASGIApp, starters: Starters) -> None:
        self.app = app
        self.starters = starters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        tasks: list[asyncio.Task[None]] = []

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await _cancel(tasks)
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                tasks.extend(asyncio.create_task(c) for c in self.starters())
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        finally:
            await _cancel(tasks)


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()
