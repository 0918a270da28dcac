"""The order stores are listed in, read page by page (DESIGN.md §8).

A filtered ``find`` sorted by ``_id`` and a ``count_documents`` are whole-collection scans on
FerretDB v1 (0.7 s each at 2,000 stores), so listing keeps its own order. Every store gets two
listing numbers when it is created, one in the whole catalogue (scope ``all``) and one among its
merchant's stores (scope: the partner id), kept in its code lookup; numbers come from a
:class:`~schema.kernel.counters.Counter`, so no two stores share one (a creation that loses a
race leaves a gap). Page ``b`` of a scope (``list:<scope>:<b>``) holds the entries numbered
``b·BLOCK + 1 … (b+1)·BLOCK``: a copy of each store as of some revision. A list reads the
pages from its cursor on and nothing else (100 stores by point reads took 170 ms on the
2-core machine, from copies 10 ms); how many stores of a scope are listed (not archived) is
a counter, so ``totalCount`` without other filters is one read.

The rules that keep it right while stores change concurrently:

- a copy is only replaced by one of a newer store revision, so whatever order concurrent
  writers of one store finish in, the newest stays (pages are written under revision claims);
- a writer marks the store (:func:`begin`) before writing it and unmarks it once its copies
  are written, each writer with its own mark; :func:`repair` re-copies the stores whose marks
  are older than :data:`REPAIR_AFTER`, so a writer that died in between leaves its lists stale
  for about that long (the store's next write, an identical retry included, also repairs it);
- the page write that moves a copy between listed and archived records the count change it
  owes (``pending``, named by the page and its revision) in that same write; the writer then
  makes that named, idempotent :meth:`Counter.add` and clears it. Whoever next writes or reads
  the page settles what a writer that died left pending, so a crash in between leaves the
  count off only until the page is touched again (an add that landed before its writer died
  is recognised among the counter's last :data:`~schema.kernel.counters.RECENT_OPS` named
  adds: it would count twice only if that many other stores of the scope were created or
  archived first).

Entries are packed as one binary JSON value each: FerretDB v1 decodes every field of every
subdocument it reads (a page of 100 stores as documents took 40-66 ms, as JSON strings 15-20
ms, as binary 7-9 ms). Pages are small (:data:`BLOCK`), so a list of one store reads little
and a change of one store rewrites little.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.counters import Counter
from schema.kernel.ids import new_id
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

LISTING = "store_listing"
MARKS = "store_listing_marks"
ALL = "all"
BLOCK = 25
# A list call reads at most this many pages (2,000 stores), so a filter that matches few
# stores costs at most that before it answers (see :func:`scan`).
MAX_SCAN_PAGES = 80
_PAGES_PER_READ = 8
REPAIR_AFTER = timedelta(minutes=1)
# What a copy keeps: what the Store type and the filters read (not the outbox, H3 cells or
# event bookkeeping).
COPIED = ("_id", "rev", "partnerId", "code", "name", "address", "location", "phone",
          "timeZone", "openingHours", "specialHours", "services", "deliveryRadiusMeters",
          "status", "updatedAt")

NUMBERS = Counter("store-listing-numbers")  # the highest number given, per scope
LISTED = Counter("stores-listed")          # stores not archived, per scope

Document = dict[str, Any]
Numbers = dict[str, int]          # {"all": n, "own": m}, as kept in the store's code lookup
Entry = tuple[int, Document]      # listing number, copy of the store
Match = Callable[[Document], bool]


def page_id(scope: str, block: int) -> str:
    return f"list:{scope}:{block}"


def block_of(number: int) -> int:
    """Numbers start at 1; block ``b`` holds ``b·BLOCK + 1 … (b+1)·BLOCK``."""
    return (number - 1) // BLOCK


def is_listed(status: str) -> bool:
    return status != "ARCHIVED"


def _copy(store: Document) -> Document:
    return {name: store[name] for name in COPIED if name in store}


def _pack(entry: Entry) -> bytes:
    return orjson.dumps(entry)


def _unpack(packed: bytes) -> Entry:
    number, store = orjson.loads(packed)
    updated = datetime.fromisoformat(store["updatedAt"])
    store["updatedAt"] = updated if updated.tzinfo else updated.replace(tzinfo=UTC)
    return number, store


def _revision(entry: Entry) -> int:
    return entry[1].get("rev", 0)


async def allocate(db: AsyncDatabase, partner_id: str, count: int = 1) -> list[Numbers]:
    """Listing numbers for ``count`` new stores of ``partner_id``, in order."""
    top_all, top_own = await asyncio.gather(NUMBERS.add(db, ALL, count),
                                            NUMBERS.add(db, partner_id, count))
    assert top_all is not None and top_own is not None
    return [{ALL: top_all - count + 1 + i, "own": top_own - count + 1 + i}
            for i in range(count)]


async def begin(db: AsyncDatabase, store_id: str) -> str:
    """Mark a store about to be written; returns the mark for :func:`end`."""
    mark = f"{store_id}:{new_id('evt')}"
    await db[MARKS].insert_one({"_id": mark, "storeId": store_id, "at": utcnow()})
    return mark


async def end(db: AsyncDatabase, mark: str) -> None:
    await db[MARKS].delete_one({"_id": mark})


async def record(db: AsyncDatabase, stores: Sequence[tuple[Document, Numbers]]) -> None:
    """Bring the stores' copies up to these documents (a no-op where they are already)."""
    pages: dict[tuple[str, int], list[Entry]] = {}
    for store, numbers in stores:
        for scope, number in ((ALL, numbers[ALL]), (store["partnerId"], numbers["own"])):
            pages.setdefault((scope, block_of(number)), []).append((number, _copy(store)))
    gate = asyncio.Semaphore(16)

    async def put(scope: str, block: int, entries: list[Entry]) -> None:
        async with gate:
            await _put(db, scope, block, entries)

    await asyncio.gather(*(put(s, b, e) for (s, b), e in pages.items()))


async def repair(db: AsyncDatabase,
                 read: Callable[[str], Awaitable[tuple[Document, Numbers] | None]]) -> int:
    """Re-copy the stores whose writers left a mark older than :data:`REPAIR_AFTER`;
    ``read(store_id)`` gives a store and its numbers. Returns how many marks it cleared."""
    marks = await db[MARKS].find({"at": {"$lt": utcnow() - REPAIR_AFTER}}).to_list()
    for mark in marks:
        found = await read(mark["storeId"])
        if found is not None:
            await record(db, [found])
        await end(db, mark["_id"])
    return len(marks)


async def _put(db: AsyncDatabase, scope: str, block: int, incoming: list[Entry]) -> None:
    page = page_id(scope, block)

    def change(current: Document | None) -> Document | None:
        entries = dict(map(_unpack, (current or {}).get("e", [])))
        delta, changed = 0, False
        for number, store in incoming:
            old = entries.get(number)
            if old is not None and old.get("rev", 0) >= store.get("rev", 0):
                continue
            delta += is_listed(store["status"]) - (old is not None and is_listed(old["status"]))
            entries[number], changed = store, True
        if not changed:
            return None
        pending = list((current or {}).get("pending", []))
        if delta:
            op = f"{page}:{(current or {}).get('rev', 0) + 1}"
            pending.append(orjson.dumps([op, scope, delta]).decode())
        return {"e": [_pack(e) for e in sorted(entries.items())], "pending": pending}

    written = await update_claimed(db[LISTING], db, page, change)
    if written is not None and written["pending"]:
        await _settle(db, page, written["pending"])


async def _settle(db: AsyncDatabase, page: str, pending: list[str]) -> None:
    """Add the count changes a page owes (named adds: a repeat is not counted twice), then
    clear them from the page."""
    owed = [orjson.loads(p) for p in pending]
    await asyncio.gather(*(LISTED.add(db, scope, delta, op=op) for op, scope, delta in owed))
    settled = set(pending)

    def cleared(current: Document | None) -> Document | None:
        left = [p for p in (current or {}).get("pending", []) if p not in settled]
        if current is None or len(left) == len(current.get("pending", [])):
            return None
        return {**current, "pending": left}

    await update_claimed(db[LISTING], db, page, cleared)


@dataclass(frozen=True, slots=True)
class Scan:
    """What :func:`scan` found: the matching entries in order, the last number it looked at,
    and whether numbers past that remain unread."""

    found: list[Entry]
    position: int
    more: bool


async def scan(db: AsyncDatabase, scope: str, after: int, want: int, match: Match) -> Scan:
    """Up to ``want`` entries numbered above ``after`` that ``match``, reading at most
    :data:`MAX_SCAN_PAGES` pages: first the pages ``want`` entries span, then up to
    :data:`_PAGES_PER_READ` at a time."""
    block = block_of(after + 1)
    batch = min(block_of(after + want) - block + 1, _PAGES_PER_READ, MAX_SCAN_PAGES)
    last, pages = await asyncio.gather(NUMBERS.value(db, scope), _read(db, scope, block, batch))
    found: list[Entry] = []
    stop = min(block_of(last) + 1 if last else 0, block + MAX_SCAN_PAGES)
    position = after
    while block < stop:
        batch = min(stop - block, batch)
        if pages is None:
            pages = await _read(db, scope, block, batch)
        await _settle_left(db, pages)
        for number, store in (e for p in pages for e in _entries(p)):
            if number > after and match(store):
                found.append((number, store))
                if len(found) == want:
                    return Scan(found, number, number < last)
        block += batch
        position = min(block * BLOCK, last) if last else after
        batch, pages = _PAGES_PER_READ, None
    return Scan(found, max(position, after), position < last)


async def _read(db: AsyncDatabase, scope: str, block: int,
                count: int) -> list[Document | None]:
    return await get_many(db[LISTING], [page_id(scope, b) for b in range(block, block + count)])


def _entries(page: Document | None) -> Iterable[Entry]:
    return map(_unpack, (page or {}).get("e", []))


async def _settle_left(db: AsyncDatabase, pages: Sequence[Document | None]) -> None:
    """Settle what writers that died left pending in pages a reader just read."""
    owing = [p for p in pages if p is not None and p.get("pending")]
    await asyncio.gather(*(_settle(db, p["_id"], p["pending"]) for p in owing))


async def listed_count(db: AsyncDatabase, scope: str) -> int:
    return await LISTED.value(db, scope)
