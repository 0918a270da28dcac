"""Insert-arbitrated compare-and-set.

FerretDB v1 (SQLite) does not make ``update_one({_id, rev: r}, …)`` atomic: measured, 20
concurrent updates conditioned on the same revision all matched up to 8 times. An insert
of a unique ``_id`` is atomic on every server, so a writer first *claims* the transition
(``<key>:<next revision>``); only the claim's winner writes, the others re-read and retry.
Claims are small and swept after :data:`CLAIM_RETENTION`.
"""

from collections.abc import Sequence
from datetime import timedelta

from pymongo import InsertOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.bulk import bulk_write_chunked
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


async def claim_many(db: AsyncDatabase, keys: Sequence[str]) -> list[bool]:
    """Claim many keys in bulk; one flag per key."""
    now = utcnow()
    outcome = await bulk_write_chunked(db[CLAIMS], [InsertOne({"_id": k, "at": now})
                                                    for k in keys])
    for error in outcome.errors.values():
        if error["code"] != 11000:
            raise RuntimeError(f"claim failed: {error}")
    return [i not in outcome.errors for i in range(len(keys))]


async def sweep_claims(db: AsyncDatabase) -> int:
    result = await db[CLAIMS].delete_many({"at": {"$lt": utcnow() - CLAIM_RETENTION}})
    return result.deleted_count
