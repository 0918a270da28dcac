"""Periodic jobs of the platform subgraphs (outbox relays, sweepers), run by the server.

A job is ``async (db) -> int`` (how much it did); a failing round is logged and retried at
the next tick, so one bad document never stops the relay.
"""

import asyncio
import logging
from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.subgraph import Job

logger = logging.getLogger("loopgate.jobs")


async def run_jobs_forever(db: AsyncDatabase, jobs: Sequence[Job],
                           interval_s: float = 2.0) -> None:
    """Run every job, then sleep ``interval_s`` (skipped while a job still has work)."""
    while True:
        busy = False
        for job in jobs:
            try:
                busy = await job(db) > 0 or busy
            except Exception:
                logger.exception("background job %s failed; retrying", job.__qualname__)
        if not busy:
            await asyncio.sleep(interval_s)
