"""Index declarations, created idempotently at start-up (DESIGN.md §8).

Domains declare :class:`IndexSpec` values next to their repositories; the app creates all
of them once when it starts. ``create_index`` with the same keys and options is a no-op on
both MongoDB and FerretDB, so restarts and concurrent workers are safe. FerretDB v1 only uses
an index for ``{_id: value}`` filters, but the declarations still serve MongoDB and enforce
uniqueness on both.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """One index: collection, ordered keys, and whether it is unique."""

    collection: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    name: str | None = field(default=None)

    @classmethod
    def on(cls, collection: str, *fields: str, unique: bool = False) -> "IndexSpec":
        """Ascending index over ``fields``: ``IndexSpec.on("products", "partnerId", "sku")``."""
        return cls(collection, tuple((f, ASCENDING) for f in fields), unique)

    @property
    def index_name(self) -> str:
        return self.name or "_".join(f"{k}_{d}" for k, d in self.keys)


async def ensure_indexes(db: AsyncDatabase, specs: Iterable[IndexSpec]) -> list[str]:
    """Create every declared index that does not exist yet; returns the names ensured."""
    names = []
    for spec in specs:
        await db[spec.collection].create_index(
            list(spec.keys), unique=spec.unique, name=spec.index_name
        )
        names.append(f"{spec.collection}.{spec.index_name}")
    return names
