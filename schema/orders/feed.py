"""A safe watermark for the orders lists, so a POS polling ``orders(filter: {updatedAfter})``
never skips an order whose change commits late (DESIGN.md §8, as ``inventoryChanges``).

Orders are listed by their last change (``updatedAt``, ties by id). A writer records a
*lease* (its merchant and the time it started) before it stamps and writes the change, and
drops it afterwards. A reader serves only changes stamped before the oldest live lease (or
before the moment it read the leases, when there is none): every change still in flight, and
every change not begun yet, is stamped at or after that instant, so it sorts after everything
served and the next poll (``updatedAfter`` = the last ``updatedAt`` seen, or the cursor)
finds it. Time stands in for the catalogue's sequence numbers: an order's position is its
last change, which a counter would have to rewrite anyway. A writer that died leaves its
lease; it stops holding readers back after :data:`LEASE_TTL` (by then its claimed write has
happened or never will, as for claims; the processes' clocks are assumed to agree).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from ulid import ULID

from schema.kernel.claims import CLAIM_LEASE
from schema.kernel.time import as_utc, utcnow
from schema.orders.collections import LEASES

LEASE_TTL = 2 * CLAIM_LEASE


@asynccontextmanager
async def writing(db: AsyncDatabase, merchant_id: str) -> AsyncIterator[None]:
    """Hold a lease on the merchant's feed while a change of one of its orders is written;
    the change must be stamped inside (``utcnow()`` after entering)."""
    lease_id = f"olease:{merchant_id}:{ULID()}"
    await db[LEASES].insert_one({"_id": lease_id, "feed": merchant_id, "at": utcnow()})
    try:
        yield
    finally:
        await db[LEASES].delete_one({"_id": lease_id})


async def watermark(db: AsyncDatabase, merchant_id: str) -> datetime:
    """Changes of the merchant's orders stamped strictly before this are all written."""
    now = utcnow()
    live_after = now - LEASE_TTL
    starts = [as_utc(lease["at"]) async for lease in db[LEASES].find({"feed": merchant_id})]
    return min([now, *(at for at in starts if at > live_after)])


async def sweep_leases(db: AsyncDatabase) -> int:
    """Remove leases of writers that died (they no longer hold readers back anyway)."""
    result = await db[LEASES].delete_many({"at": {"$lt": utcnow() - LEASE_TTL}})
    return result.deleted_count
