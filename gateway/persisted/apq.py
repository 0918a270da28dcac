"""The automatic-persisted-query store: SHA-256 hash → query text, shared by every worker.

Layout: ``persisted_queries`` in the live database, one document per query, ``{_id: <sha256
hex>, query, bytes, createdAt, usedAt}``. Every read is an ``_id`` point read (DESIGN.md §8);
a registration is one ``insert_one``, atomic on every server, and a duplicate (another worker
was first) is the same text by construction. Entries are immutable, so each process keeps
the texts it served in an LRU with no expiry; misses are never cached, so a hash another
worker has just registered is found at once.

Bounds, so the store never grows without limit: a text over ``max_query_bytes`` is refused;
``usedAt`` is refreshed at most every ``touch_every`` per entry and process; the sweep deletes
entries unused for ``retention`` and then, above ``max_entries``, the least recently used.
Each process sweeps when it registers a query after ``sweep_every`` since its last sweep, or
after ``max_entries // 10`` registrations, so the collection exceeds ``max_entries`` by at
most a tenth per worker between sweeps. Without a database, the LRU (``max_entries`` long)
is the whole store, per process.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from gateway.persisted._cache import LruCache
from schema.kernel.indexes import IndexSpec
from schema.kernel.time import utcnow

COLLECTION = "persisted_queries"
APQ_INDEX = IndexSpec.on(COLLECTION, "usedAt")
"""For the sweep's range and order on MongoDB (FerretDB scans either way)."""
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ApqLimits:
    """How much automatic persisted queries may hold; see the module docstring."""

    max_query_bytes: int = 65_536
    max_entries: int = 5_000
    retention: timedelta = timedelta(days=30)
    touch_every: timedelta = timedelta(hours=1)
    sweep_every: timedelta = timedelta(minutes=5)
    cache_entries: int = 2_048


@dataclass(slots=True)
class _Cached:
    text: str
    touched: float


class QueryStore:
    """Automatic persisted queries in ``db`` (None: in this process only)."""

    def __init__(self, db: AsyncDatabase | None, limits: ApqLimits) -> None:
        self.limits = limits
        self._collection = None if db is None else db[COLLECTION]
        capacity = limits.max_entries if db is None else limits.cache_entries
        self._cache: LruCache[_Cached] = LruCache(capacity)
        self._last_sweep = float("-inf")
        self._registered_since_sweep = 0
        self._sweeping: asyncio.Task[int] | None = None

    async def get(self, sha256: str) -> str | None:
        """The text registered under ``sha256``, or None."""
        cached = self._cache.get(sha256, None)
        if isinstance(cached, _Cached):
            await self._touch(sha256, cached)
            return cached.text
        if self._collection is None:
            return None
        doc = await self._collection.find_one({"_id": sha256}, {"query": 1})
        if doc is None:
            return None
        self._cache.put(sha256, _Cached(doc["query"], time.monotonic()))
        return str(doc["query"])

    def cached(self, sha256: str) -> bool:
        """Whether this process already holds ``sha256`` (then registering it is a no-op)."""
        return isinstance(self._cache.get(sha256, None), _Cached)

    async def put(self, sha256: str, text: str) -> None:
        """Register ``text`` under its hash (the caller has checked the hash and the size)."""
        if self.cached(sha256):
            return
        self._cache.put(sha256, _Cached(text, time.monotonic()))
        if self._collection is None:
            return
        now = utcnow()
        try:
            await self._collection.insert_one({"_id": sha256, "query": text,
                                               "bytes": len(text.encode()),
                                               "createdAt": now, "usedAt": now})
        except DuplicateKeyError:
            return
        self._registered_since_sweep += 1
        self._maybe_sweep()

    async def _touch(self, sha256: str, cached: _Cached) -> None:
        """Refresh ``usedAt`` of an entry served from the cache, at most every
        ``touch_every``: without it a query only ever served from caches would be swept."""
        now = time.monotonic()
        fresh = now - cached.touched < self.limits.touch_every.total_seconds()
        if self._collection is None or fresh:
            return
        cached.touched = now
        await self._collection.update_one({"_id": sha256}, {"$set": {"usedAt": utcnow()}})

    def _sweep_due(self) -> bool:
        due = time.monotonic() - self._last_sweep >= self.limits.sweep_every.total_seconds()
        return due or self._registered_since_sweep >= max(1, self.limits.max_entries // 10)

    def _maybe_sweep(self) -> None:
        if not self._sweep_due() or (self._sweeping is not None and not self._sweeping.done()):
            return
        self._sweeping = asyncio.ensure_future(self._sweep_while_due())
        self._sweeping.add_done_callback(_log_failure)

    async def _sweep_while_due(self) -> int:
        """Sweep, and again while registrations made during the sweep make one due."""
        removed = await self.sweep()
        while self._sweep_due():
            removed += await self.sweep()
        return removed

    async def sweep(self) -> int:
        """Delete entries unused for ``retention``, then the least recently used above
        ``max_entries``; returns how many went."""
        self._last_sweep = time.monotonic()
        self._registered_since_sweep = 0
        if self._collection is None:
            return 0
        stale = utcnow() - self.limits.retention
        removed = (await self._collection.delete_many({"usedAt": {"$lt": stale}})).deleted_count
        excess = await self._collection.count_documents({}) - self.limits.max_entries
        if excess > 0:
            cursor = self._collection.find({}, {"_id": 1}).sort("usedAt", 1).limit(excess)
            ids = [doc["_id"] async for doc in cursor]
            removed += (await self._collection.delete_many({"_id": {"$in": ids}})).deleted_count
        return removed

    async def wait_for_sweep(self) -> None:
        """Wait for a sweep started by a registration (tests, shutdown)."""
        if self._sweeping is not None:
            await self._sweeping


def _log_failure(task: "asyncio.Task[int]") -> None:
    if not task.cancelled() and task.exception() is not None:
        _log.warning("persisted-query sweep failed; the next registration retries",
                     exc_info=task.exception())
