"""Counters that several writers share: totals, sequence numbers, stock.

``$inc`` is not atomic on FerretDB v1 (an update is an unlocked read-modify-write: 20
concurrent ``$inc`` of one document lose some, pinned in tests/kernel/test_ferretdb_quirks.py),
so a counter is one small
document written under a revision claim (:mod:`schema.kernel.claims`): every add reads the
value, claims the next revision and writes value + delta, and a loser retries. The same code
is exact on MongoDB.

Two things make it safe to use from business code:

- ``floor``: an add that would take the value below it is refused and writes nothing, so a
  stock or balance never goes negative however many takers race.
- ``op``: an add named by an operation id is applied once. The counter remembers the ids of
  its last :data:`RECENT_OPS` named adds, so a caller that does not know whether its add
  landed (it died, or lost the reply) repeats it with the same id: a repeat among those is
  not applied again. The rule for callers: repeat a named add soon, before
  :data:`RECENT_OPS` other named adds have reached the same counter.

Usage: ``STOCK = Counter("deal-stock")`` then ``await STOCK.add(db, deal_id, -1, floor=0)``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.reads import get_many

COUNTERS = "counters"
RECENT_OPS = 64

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Counter:
    """A family of counters (``name``), one per key; a missing counter is 0."""

    name: str

    def document_id(self, key: str) -> str:
        return f"{self.name}:{key}"

    async def add(self, db: AsyncDatabase, key: str, delta: int, *, op: str | None = None,
                  floor: int | None = None) -> int | None:
        """Add ``delta``; returns the value after it, or None when it would go below
        ``floor`` (nothing is written). A repeat of ``op`` returns the current value."""
        refused = False

        def change(current: Document | None) -> Document | None:
            nonlocal refused
            value, ops = (current or {}).get("v", 0), (current or {}).get("ops", [])
            if op is not None and op in ops:   # a repeat: applied already, whatever the floor
                return None
            refused = floor is not None and value + delta < floor
            if refused:
                return None
            return {"v": value + delta,
                    "ops": [*ops, op][-RECENT_OPS:] if op is not None else ops}

        written = await update_claimed(db[COUNTERS], db, self.document_id(key), change)
        if written is not None:
            return written["v"]
        return None if refused else await self.value(db, key)

    async def value(self, db: AsyncDatabase, key: str) -> int:
        found = await db[COUNTERS].find_one({"_id": self.document_id(key)}, {"v": 1})
        return found["v"] if found else 0

    async def values(self, db: AsyncDatabase, keys: Sequence[str]) -> list[int]:
        """Many counters at once, in order (point reads)."""
        found = await get_many(db[COUNTERS], [self.document_id(k) for k in keys], {"v": 1})
        return [d["v"] if d else 0 for d in found]
