"""Insert-arbitrated compare-and-set.

FerretDB v1 (SQLite) applies an update as an unlocked read-modify-write: measured, 20
concurrent ``update_one({_id, rev: r}, …)`` matched up to 8 times, and of 30 concurrent
``$set`` of *different* fields of one document only 15 survived. An insert of a unique
``_id`` is atomic on every server, so a writer of a shared document first *claims* the
transition (``<documentId>:<next revision>``); only the claim's winner writes that revision,
the others re-read and retry. Claims are small and swept after :data:`CLAIM_RETENTION`.
"""

import asyncio
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from schema.kernel.time import utcnow

CLAIMS = "claims"
CLAIM_RETENTION = timedelta(hours=1)


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


async def update_claimed(collection: AsyncCollection, db: AsyncDatabase, document_id: str,
                         change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
                         attempts: int = 50) -> dict[str, Any] | None:
    """Read-modify-write one shared document safely: ``change`` maps the current document
    (or None) to its next content (``None``: leave it); returns what was written."""
    for _ in range(attempts):
        current = await collection.find_one({"_id": document_id})
        wanted = change(current)
        if wanted is None:
            return None
        revision = (current or {}).get("rev", 0) + 1
        if await claim(db, f"{collection.name}:{document_id}:{revision}"):
            document = {**wanted, "_id": document_id, "rev": revision}
            await collection.replace_one({"_id": document_id}, document, upsert=True)
            return document
        await asyncio.sleep(0.001)
    raise RuntimeError(f"{collection.name}/{document_id} kept changing; gave up")


async def sweep_claims(db: AsyncDatabase) -> int:
    result = await db[CLAIMS].delete_many({"at": {"$lt": utcnow() - CLAIM_RETENTION}})
    return result.deleted_count
