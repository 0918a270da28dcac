"""Insert-arbitrated compare-and-set.

FerretDB v1 (SQLite) applies an update as an unlocked read-modify-write: measured, 20
concurrent ``update_one({_id, rev: r}, …)`` matched up to 8 times, and of 30 concurrent
``$set`` of *different* fields of one document only 15 survived. An insert of a unique
``_id`` is atomic on every server, so a writer of a shared document first *claims* the
transition (``<documentId>:<next revision>``); only the claim's winner writes that revision,
the others re-read and retry. Claims are small and swept after :data:`CLAIM_RETENTION`.

A revision claim is also a lease. Its winner writes within :data:`WRITE_WITHIN` of claiming or
not at all, so a claim older than :data:`CLAIM_LEASE` whose revision its document still
lacks was abandoned: its writer died (or stalled) between claiming and writing.
:func:`reclaim_abandoned` removes such a claim so the revision can be claimed again, instead
of the document staying unwritable until the sweep. Only a takeover winner ever deletes a
revision claim (a late writer leaves its own for takeover), so a removal can never hit a
newer claim of the same revision.
"""

import asyncio
import random
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import DeleteOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

CLAIMS = "claims"
CLAIM_RETENTION = timedelta(hours=1)
WRITE_WITHIN = timedelta(seconds=30)
CLAIM_LEASE = timedelta(seconds=60)


async def claim(db: AsyncDatabase, key: str) -> bool:
    """True when this caller won ``key``."""
    try:
        await db[CLAIMS].insert_one({"_id": key, "at": utcnow()})
        return True
    except DuplicateKeyError:
        return False


async def claim_many(db: AsyncDatabase, keys: Sequence[str], chunk: int = 1000) -> list[bool]:
    """Claim many keys with bulk inserts (inserts are not subject to FerretDB's
    update-batch limit); one flag per key."""
    now = utcnow()
    lost: set[int] = set()
    for start in range(0, len(keys), chunk):
        try:
            await db[CLAIMS].insert_many([{"_id": k, "at": now}
                                          for k in keys[start:start + chunk]], ordered=False)
        except BulkWriteError as exc:
            for error in exc.details["writeErrors"]:
                if error["code"] != 11000:
                    raise RuntimeError(f"claim failed: {error}") from exc
                lost.add(start + error["index"])
    return [i not in lost for i in range(len(keys))]


def write_expired(claimed_at: datetime) -> bool:
    """Whether a winner that claimed at ``claimed_at`` is too late to write: it must not, and
    decides again once the claim has been taken over."""
    return utcnow() - claimed_at > WRITE_WITHIN


async def reclaim_abandoned(db: AsyncDatabase, keys: Sequence[str], read_at: datetime) -> int:
    """Remove the revision claims among ``keys`` that were abandoned; returns how many.

    The caller lost ``keys`` and read, at ``read_at``, that their documents still lack the
    claimed revisions. A claim taken more than :data:`CLAIM_LEASE` before that read outlived
    its writer's :data:`WRITE_WITHIN`, so nobody will write it. Each is removed by whoever wins
    the takeover claim named after it (a claim's ``at`` makes that name unique to it).
    """
    found = [c for c in await get_many(db[CLAIMS], list(dict.fromkeys(keys)))
             if c is not None and c["at"] < read_at - CLAIM_LEASE]
    if not found:
        return 0
    won = await claim_many(db, [f"takeover:{c['_id']}:{c['at'].isoformat()}" for c in found])
    abandoned = [c["_id"] for c, ok in zip(found, won, strict=True) if ok]
    await bulk_write_chunked(db[CLAIMS], [DeleteOne({"_id": k}) for k in abandoned])
    return len(abandoned)


class Contended(RuntimeError):
    """The document stayed too busy for this write for :data:`WAIT_TURN`; nothing was
    written. Retryable: mutations answer it as a ``CONFLICT`` user error."""


WAIT_TURN = 10.0
"""Seconds a claimed write keeps trying for its turn before it gives up as Contended."""

_turns: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = (
    weakref.WeakValueDictionary())


def _turn(collection: AsyncCollection, document_id: str) -> asyncio.Lock:
    """This process's queue for one document (per database: live and sandbox apart)."""
    key = (collection.database.name, collection.name, document_id)
    lock = _turns.get(key)
    if lock is None:
        lock = _turns[key] = asyncio.Lock()
    return lock


async def update_claimed(collection: AsyncCollection, db: AsyncDatabase, document_id: str,
                         change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
                         *, wait: float = WAIT_TURN) -> dict[str, Any] | None:
    """Read-modify-write one shared document safely: ``change`` maps the current document
    (or None) to its next content (``None``: leave it); returns what was written.

    Writers in one process take turns (a queue per document), so the claim only arbitrates
    between processes: N writers racing through claims alone cost about N²/2 claim attempts
    (measured: 100 concurrent redemptions of one wallet exhausted a fixed number of retries).
    A writer that keeps losing to other processes backs off and retries for up to ``wait``
    seconds, then raises :class:`Contended`, having written nothing."""
    give_up = time.monotonic() + wait
    async with _turn(collection, document_id):
        while True:
            read_at = utcnow()
            current = await collection.find_one({"_id": document_id})
            wanted = change(current)
            if wanted is None:
                return None
            revision = (current or {}).get("rev", 0) + 1
            key = f"{collection.name}:{document_id}:{revision}"
            claimed_at = utcnow()
            if await claim(db, key):
                if write_expired(claimed_at):
                    continue
                document = {**wanted, "_id": document_id, "rev": revision}
                await collection.replace_one({"_id": document_id}, document, upsert=True)
                return document
            await reclaim_abandoned(db, [key], read_at)
            if time.monotonic() > give_up:
                raise Contended(f"{collection.name}/{document_id} kept changing; gave up")
            await asyncio.sleep(random.uniform(0.001, 0.02))


async def sweep_claims(db: AsyncDatabase) -> int:
    result = await db[CLAIMS].delete_many({"at": {"$lt": utcnow() - CLAIM_RETENTION}})
    return result.deleted_count
