"""The payments not finished yet, so that none is left half done.

A payment moves money in several steps (take the balance portions, wait for the provider,
credit a top-up, give balance back, tell other subgraphs), and a process may die between any
two. Each unfinished payment or refund therefore has a small entry here, inserted before its
first step and deleted after its last; :func:`schema.payments.lifecycle.work_open` (a job)
picks up every entry past its ``dueAt`` and carries the payment on from wherever it is. Every
step is idempotent (wallet operations by operation id, status changes forward only), so the
job and a retrying caller may both do one.

``dueAt`` is when the job may step in: 15 minutes after creation for a payment waiting for
its external portion (it is then canceled, DESIGN of issue #12), a short lease otherwise (a
live caller finishes well within it). On FerretDB v1 the job's read scans this collection,
which holds only unfinished work, never the payments themselves.
"""

import contextlib
from datetime import datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.time import utcnow
from schema.payments.collections import OPEN

AWAIT_EXTERNAL = timedelta(minutes=15)
LEASE = timedelta(seconds=60)


async def open_work(db: AsyncDatabase, entry_id: str, payment_id: str,
                    due_at: datetime) -> None:
    """Put ``entry_id`` (a payment's id, or one of its refunds') on the list; a repeat keeps
    the first entry."""
    with contextlib.suppress(DuplicateKeyError):
        await db[OPEN].insert_one({"_id": entry_id, "paymentId": payment_id, "dueAt": due_at,
                                   "createdAt": utcnow()})


async def close_work(db: AsyncDatabase, entry_id: str) -> None:
    await db[OPEN].delete_one({"_id": entry_id})


async def due(db: AsyncDatabase, limit: int = 100) -> list[dict]:
    """Entries whose time has come, oldest first."""
    return await db[OPEN].find({"dueAt": {"$lte": utcnow()}}).sort("dueAt", 1) \
        .limit(limit).to_list()


async def postpone(db: AsyncDatabase, entry_id: str, by: timedelta = LEASE) -> None:
    """Try an entry again later (its step failed this round)."""
    await db[OPEN].update_one({"_id": entry_id}, {"$set": {"dueAt": utcnow() + by}})
