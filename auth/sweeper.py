"""Removal of expired codes, refresh tokens, families, revocations and sessions.

No TTL indexes (DESIGN.md §8): each of these documents carries ``expiresAt`` and this sweep,
run periodically by the host process, deletes the ones past it.
"""

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import EXPIRING
from schema.kernel.time import utcnow


async def sweep_expired(db: AsyncDatabase) -> dict[str, int]:
    """Delete expired documents; returns how many per collection."""
    now = utcnow()
    removed = {}
    for name in EXPIRING:
        result = await db[name].delete_many({"expiresAt": {"$lt": now}})
        removed[name] = result.deleted_count
    return removed
