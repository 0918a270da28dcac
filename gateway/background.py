"""Periodic jobs of the platform subgraphs (outbox relays, sweepers), run by the server.

A job is ``async (db) -> int`` (how much it did); a failing round is logged and retried at
the next tick, so one bad document never stops the relay. The server runs one runner per
database, live and sandbox (:func:`gateway.platform.platform_jobs`): a job has no principal,
so the database it is handed is its mode. Jobs run every ``interval_s``
(at once again while one still has work); sweeps, which only delete what has been kept
long enough, every ``sweep_every_s``.
"""

import asyncio
import logging
import time
from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

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
