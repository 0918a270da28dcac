"""Single-row changes recorded in the change feeds in groups (group commit).

A sync records thousands of rows under one lease. A stock reservation writes one or a few rows,
and taking a lease for each would make every concurrent order contend on the feed's ``next``:
:func:`schema.catalog.feed.take_lease` retries until its claim wins, so N concurrent writers
cost about N²/2 attempts. So each process queues the rows written per partner, and one
flusher at a time numbers everything queued with one lease in the partner's feed and one in
each store's feed: N concurrent writers share a few leases.

Rows are numbered after they were written, which feed.py shows safe (a change numbered after
a reader passed the watermark gets a number above it). A writer returns once its rows are
recorded; a process that dies in between leaves the level right and that change missing from
the feed, as a sync dying between its write and its record does.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import feed

Row = tuple[str, str]
"""(storeId, rowId) of a changed inventory row."""


@dataclass
class _Queue:
    db: AsyncDatabase
    waiting: list[tuple[list[Row], asyncio.Future[None]]] = field(default_factory=list)
    flusher: asyncio.Task[None] | None = None   # held: the loop keeps only a weak reference


_queues: dict[tuple[int, str, str], _Queue] = {}


async def record(db: AsyncDatabase, partner_id: str, rows: Sequence[Row]) -> None:
    """Record ``rows`` (already written) in the partner's and their stores' feeds."""
    if not rows:
        return
    key = (id(db.client), db.name, partner_id)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    queue = _queues.get(key)
    if queue is None:
        queue = _queues[key] = _Queue(db)
        queue.flusher = asyncio.get_running_loop().create_task(_flush(key, queue))
    queue.waiting.append((list(rows), done))
    await done


async def _flush(key: tuple[int, str, str], queue: _Queue) -> None:
    """Record whatever is queued, until nothing is (the queue is dropped with no await
    between finding it empty and dropping it, so no row is left behind)."""
    batch: list[tuple[list[Row], asyncio.Future[None]]] = []
    try:
        while queue.waiting:
            batch, queue.waiting = queue.waiting, []
            try:
                await _record(queue.db, key[2], [row for rows, _ in batch for row in rows])
            except Exception as exc:  # every writer of the batch learns it
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
    finally:
        del _queues[key]
        for _, done in batch + queue.waiting:   # only when the flusher itself was cancelled
            done.cancel()


async def _record(db: AsyncDatabase, partner_id: str, rows: list[Row]) -> None:
    rows = list(dict.fromkeys(rows))
    lease = await feed.take_lease(db, partner_id, len(rows))
    try:
        await feed.record_changes(db, lease, [
            {"seq": lease.low + offset, "storeId": store_id, "rowId": row_id}
            for offset, (store_id, row_id) in enumerate(rows)])
    finally:
        await feed.release(db, lease)
    stores = dict.fromkeys(store_id for store_id, _ in rows)
    await asyncio.gather(*(feed.record_store_changes(db, store_id, [
        row_id for owner, row_id in rows if owner == store_id]) for store_id in stores))
