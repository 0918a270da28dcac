"""Keeping one store's entries in the geo buckets (:mod:`schema.stores.geo`) in step with its
location while other upserts of the same store run concurrently.

Buckets are shared by many stores, so each is rewritten under a revision claim. That alone
does not order two *moves* of one store: the later move may leave a bucket before the earlier
one enters it, which would list the store at a place it has left. So every entry carries the
store revision that placed it (``r``; absent means 0, as seeded) and:

- a move to revision ``k`` enters its buckets unless an entry of revision ``k`` or later is
  already there, and leaves its previous buckets by removing entries older than ``k``;
- afterwards it re-reads the store; if a later revision moved it elsewhere, it withdraws its
  own entries (revision ``k`` or older) from the buckets the store no longer has. A later move
  that left a bucket before this one entered it is always visible to that re-read.

The last move's entries are never removed (every removal is of an older revision), and every
stale entry is removed by the next move or by its writer's re-read.
"""

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.stores import geo

Document = dict[str, Any]


def bucket_ids(cells: dict[str, str] | None) -> set[str]:
    """The bucket ids of a store's ``h3`` cells."""
    return {geo.bucket_id(int(res), cell) for res, cell in (cells or {}).items()}


def _entry_revision(entry: Document) -> int:
    return entry.get("r", 0)


async def enter(db: AsyncDatabase, store: Document) -> None:
    """List the store (``_id``, ``location``, ``h3``, ``rev``) in its buckets and directory."""
    location, revision = store["location"], store["rev"]
    mine = {**geo.entry(store["_id"], location["lat"], location["lng"]), "r": revision}

    def entering(current: Document | None) -> Document | None:
        entries = (current or {}).get("s", [])
        if any(e["i"] == store["_id"] and _entry_revision(e) >= revision for e in entries):
            return None
        return {"s": [*(e for e in entries if e["i"] != store["_id"]), mine]}

    await asyncio.gather(*(update_claimed(db[geo.bucket_collection(b)], db, b, entering)
                           for b in bucket_ids(store["h3"])))
    cells = store["h3"]
    await merge_directory(db, {"_id": geo.directory_id(cells[str(geo.DIRECTORY_RES)]),
                               **{f"c{res}": [cell] for res, cell in cells.items()}})


async def drop(db: AsyncDatabase, store_id: str, buckets: set[str], below: int) -> None:
    """Remove the store's entries older than revision ``below`` from ``buckets``."""
    def leaving(current: Document | None) -> Document | None:
        entries = (current or {}).get("s", [])
        kept = [e for e in entries if e["i"] != store_id or _entry_revision(e) >= below]
        return None if current is None or len(kept) == len(entries) else {"s": kept}

    await asyncio.gather(*(update_claimed(db[geo.bucket_collection(b)], db, b, leaving)
                           for b in buckets))


async def merge_directory(db: AsyncDatabase, listing: Document) -> None:
    """Add the cells of ``listing`` (``{_id, c5: [...], ...}``) to its directory document."""
    additions = {k: v for k, v in listing.items() if k.startswith("c")}

    def merged(current: Document | None) -> Document | None:
        known = {k: v for k, v in (current or {}).items() if k.startswith("c")}
        if all(set(cells) <= set(known.get(name, [])) for name, cells in additions.items()):
            return None
        return {**known, **{name: sorted({*known.get(name, []), *cells})
                            for name, cells in additions.items()}}

    await update_claimed(db[geo.DIRECTORY], db, listing["_id"], merged)
