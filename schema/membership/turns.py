"""One wallet write at a time per member within this process.

A wallet is one document written under a revision claim (DESIGN.md §8): of N writers racing
for it, one wins each round and the others re-read and retry, so a burst of N writes costs
about N²/2 claim attempts, and a claim gives up after a bounded number of them (measured: 100
concurrent redemptions of one member through one process exhausted it). Writers in the same
process therefore queue here and take their turn; the claim still arbitrates between
processes, where the number of racing writers is the number of processes.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo.asynchronous.database import AsyncDatabase

_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
    weakref.WeakValueDictionary())


@asynccontextmanager
async def wallet_turn(db: AsyncDatabase, member_id: str) -> AsyncIterator[None]:
    """Hold the member's wallet turn in this process (per database: live and sandbox)."""
    key = (db.name, member_id)
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    async with lock:
        yield
