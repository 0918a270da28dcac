"""Per-app safelists: which operations an app may run by id, and whether only those.

Layout, in the database the app's tokens act in (live, or the sandbox for a sandbox app,
DESIGN.md §5):

- ``persisted_apps``: ``{_id: <client id>, safelistOnly, updatedAt}``; an app without one
  has no safelist and runs anything.
- ``persisted_safelist``: one document per id an operation answers to (its own id, its
  body's SHA-256, its canonical hash: :attr:`SafelistOperation.keys`),
  ``{_id: "<client id>:<key>", clientId, opId, primary (key == opId), body, canonical (its
  canonical hash), name, type, pushedAt}``, so every lookup at request time is an ``_id``
  point read.

Both are written only by the operator's CLI (:mod:`gateway.persisted.admin`); the gateway only
reads them, through a per-process cache that keeps each answer (found or not) for
``ttl_s`` seconds: a flag change or a removal reaches every worker within that time.
"""

from dataclasses import dataclass

from pymongo.asynchronous.database import AsyncDatabase

from gateway.persisted._cache import MISSING, LruCache
from schema.kernel.indexes import IndexSpec

APPS = "persisted_apps"
SAFELIST = "persisted_safelist"
DEFAULT_TTL_S = 3.0
SAFELIST_INDEXES = (IndexSpec.on(SAFELIST, "clientId", "opId"),)
"""For the CLI's listing and removal by app on MongoDB (requests read by ``_id`` only)."""


def entry_id(client_id: str, key: str) -> str:
    return f"{client_id}:{key}"


@dataclass(frozen=True, slots=True)
class AppPolicy:
    """What an app may run: ``safelist_only``, and where its safelist is (None: it has
    none)."""

    safelist_only: bool = False
    db: AsyncDatabase | None = None


@dataclass(frozen=True, slots=True)
class SafelistEntry:
    """A safelisted operation as the gateway runs it."""

    op_id: str
    body: str
    name: str | None
    canonical_hash: str


_NO_SAFELIST = AppPolicy()


class Safelists:
    """Reads apps' safelists from ``live`` and ``sandbox`` through a short cache."""

    def __init__(self, live: AsyncDatabase, sandbox: AsyncDatabase, *,
                 ttl_s: float = DEFAULT_TTL_S, cache_entries: int = 10_000) -> None:
        self.live = live
        self.sandbox = sandbox
        self._policies: LruCache[AppPolicy] = LruCache(cache_entries, ttl_s)
        self._entries: LruCache[SafelistEntry | None] = LruCache(cache_entries, ttl_s)

    async def policy(self, client_id: str, sandbox: bool | None = None) -> AppPolicy:
        """The app's policy; ``sandbox`` None looks in the live database, then the sandbox."""
        cached = self._policies.get((client_id, sandbox))
        if isinstance(cached, AppPolicy):
            return cached
        where = {None: (self.live, self.sandbox), False: (self.live,),
                 True: (self.sandbox,)}[sandbox]
        policy = _NO_SAFELIST
        for db in where:
            doc = await db[APPS].find_one({"_id": client_id})
            if doc is not None:
                policy = AppPolicy(bool(doc.get("safelistOnly")), db)
                break
        self._policies.put((client_id, sandbox), policy)
        return policy

    async def find(self, client_id: str, policy: AppPolicy, key: str) -> SafelistEntry | None:
        """The operation of the app's safelist that answers to ``key``, or None."""
        if policy.db is None:
            return None
        cache_key = (policy.db.name, client_id, key)
        cached = self._entries.get(cache_key)
        if cached is not MISSING:
            return cached if isinstance(cached, SafelistEntry) else None
        doc = await policy.db[SAFELIST].find_one({"_id": entry_id(client_id, key)})
        entry = None if doc is None else SafelistEntry(doc["opId"], doc["body"], doc.get("name"),
                                                       doc["canonical"])
        self._entries.put(cache_key, entry)
        return entry
