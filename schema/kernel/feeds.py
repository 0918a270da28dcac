"""Sequenced feeds read by cursor below a safe watermark (DESIGN.md §8: no change streams).

The catalog's inventory feeds (:mod:`schema.catalog.feed`) showed the shape; this is the
general one, with no scan anywhere: a feed is one document (``feed:<key>`` in :data:`FEEDS`)
and pages of entries keyed by block (``page:<key>:<block>`` in :data:`PAGES`), all read by
``_id``.

**Writing.** A writer takes a *lease* on a range of sequence numbers: one claimed write of the
feed document (:func:`schema.kernel.claims.update_claimed`, since FerretDB's conditional
updates are not atomic) that advances ``next`` by whole blocks of :data:`BLOCK` and records
the lease (its lowest number and when it was taken) inside the same document. It then inserts
one page per block (a page is inserted once, by its block's only writer) and releases the
lease with a second claimed write. Numbers are increasing, not dense: a write of 3 entries
still takes a whole block, so the next write starts at the next block.

**Reading.** The watermark is the highest number every write at or below which has finished:
just below the lowest live lease, else ``next`` — one point read. A reader serves only entries
at or below it, so a writer that finishes late is never skipped: its numbers were not served
yet. A lease not released within :data:`LEASE_TTL` belongs to a dead writer and stops holding
the watermark back; a live writer inserts its pages within
:data:`schema.kernel.claims.WRITE_WITHIN` of taking the lease or not at all
(:class:`FeedWriteTooLate`), so no page lands below a watermark that already passed it. (Like
claim leases, this assumes the processes' clocks agree to within the slack.)

Below the watermark a block without a page had no entries (its writer died or gave up, or the
retention sweep removed it); a read walks past such blocks, at most
:data:`MAX_BLOCKS_PER_READ` per call.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from ulid import ULID

from schema.kernel.claims import WAIT_TURN, WRITE_WITHIN, update_claimed
from schema.kernel.reads import get_many
from schema.kernel.time import as_utc, utcnow

FEEDS = "seq_feeds"
PAGES = "seq_feed_pages"
BLOCK = 100
LEASE_TTL = timedelta(seconds=90)
MAX_BLOCKS_PER_READ = 512
_PAGES_PER_READ = 16
_DUPLICATE_KEY = 11000
_CURSOR_PREFIX = "seq1:"

Document = dict[str, Any]


class FeedWriteTooLate(RuntimeError):
    """The write took too long after its lease to be written safely; nothing was written and
    the caller writes again (its numbers stay unused)."""


class BadCursor(ValueError):
    """A cursor that no feed handed out."""


def feed_id(key: str) -> str:
    return f"feed:{key}"


def page_id(key: str, block: int) -> str:
    return f"page:{key}:{block}"


def block_of(seq: int) -> int:
    """Numbers start at 1; block ``b`` holds ``b*BLOCK + 1 … (b+1)*BLOCK``."""
    return (seq - 1) // BLOCK


def encode_cursor(seq: int) -> str:
    """The opaque form of "after sequence number ``seq``"."""
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The sequence number a cursor stands for (None: the feed's start)."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        seq = int(text.removeprefix(_CURSOR_PREFIX))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(f"'{cursor}' is not a cursor this feed handed out") from exc
    if seq < 0:
        raise BadCursor(f"'{cursor}' is not a cursor this feed handed out")
    return seq


@dataclass(frozen=True, slots=True)
class FeedLease:
    key: str
    token: str
    low: int
    size: int
    taken_at: datetime


def _live(leases: dict[str, Document], now: datetime) -> dict[str, Document]:
    return {token: lease for token, lease in leases.items()
            if as_utc(lease["at"]) > now - LEASE_TTL}


async def take_lease(db: AsyncDatabase, key: str, size: int, *,
                     wait: float = WAIT_TURN) -> FeedLease:
    """Reserve whole blocks holding at least ``size`` numbers (expired leases are dropped);
    :class:`~schema.kernel.claims.Contended` when the feed document stays claimed ``wait``
    seconds."""
    token = str(ULID())
    blocks = max(1, -(-size // BLOCK))
    taken: dict[str, Any] = {}

    def reserve(current: Document | None) -> Document:
        now = utcnow()
        last = (current or {}).get("next", 0)
        start = -(-last // BLOCK) * BLOCK
        taken.update(low=start + 1, at=now)
        leases = _live((current or {}).get("leases", {}), now)
        leases[token] = {"low": start + 1, "at": now}
        return {"next": start + blocks * BLOCK, "leases": leases}

    await update_claimed(db[FEEDS], db, feed_id(key), reserve, wait=wait)
    return FeedLease(key, token, taken["low"], blocks * BLOCK, taken["at"])


async def release(db: AsyncDatabase, lease: FeedLease) -> None:
    def drop(current: Document | None) -> Document | None:
        leases = (current or {}).get("leases", {})
        if current is None or lease.token not in leases:
            return None
        return {**current, "leases": {t: v for t, v in leases.items() if t != lease.token}}

    await update_claimed(db[FEEDS], db, feed_id(lease.key), drop)


async def append(db: AsyncDatabase, key: str, entries: Sequence[Document], *,
                 wait: float = WAIT_TURN) -> list[int]:
    """Append ``entries`` (each gets ``seq``, in the given order) to the feed ``key``;
    returns their numbers. Raises :class:`FeedWriteTooLate` (nothing written) when the pages
    could not be written within ``WRITE_WITHIN`` of the lease, and
    :class:`~schema.kernel.claims.Contended` (nothing written) when the feed document stayed
    claimed for ``wait`` seconds before the lease was taken."""
    if not entries:
        return []
    lease = await take_lease(db, key, len(entries), wait=wait)
    try:
        numbered = [{**entry, "seq": lease.low + i} for i, entry in enumerate(entries)]
        pages: dict[int, list[Document]] = {}
        for entry in numbered:
            pages.setdefault(block_of(entry["seq"]), []).append(entry)
        if utcnow() - lease.taken_at > WRITE_WITHIN:
            raise FeedWriteTooLate(f"feed {key}: pages not written in time; write again")
        now = utcnow()
        try:
            await db[PAGES].insert_many(
                [{"_id": page_id(key, block), "feed": key, "writtenAt": now, "entries": found}
                 for block, found in pages.items()], ordered=False)
        except BulkWriteError as exc:
            if any(e["code"] != _DUPLICATE_KEY for e in exc.details["writeErrors"]):
                raise
        return [entry["seq"] for entry in numbered]
    finally:
        await release(db, lease)


async def watermark(db: AsyncDatabase, key: str) -> int:
    """The highest number every write at or below which has finished (one point read)."""
    feed = await db[FEEDS].find_one({"_id": feed_id(key)})
    if feed is None:
        return 0
    live = _live(feed.get("leases", {}), utcnow())
    return min([feed["next"], *(lease["low"] - 1 for lease in live.values())])


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Entries in order; ``cursor``: the number covered so far; ``more``: numbers past it are
    already safe to read (ask again at once)."""

    entries: list[Document]
    cursor: int
    more: bool


async def read(db: AsyncDatabase, key: str, after: int, limit: int,
               match: Callable[[Document], bool] | None = None) -> FeedPage:
    """Up to ``limit`` entries numbered after ``after`` and at or below the watermark that
    ``match`` accepts (all by default), oldest first. A call reads at most
    :data:`MAX_BLOCKS_PER_READ` blocks; pages are read 1, 2, 4 … at a time."""
    safe = await watermark(db, key)
    found: list[Document] = []
    cursor = after
    block = block_of(after + 1)
    end = block_of(safe) + 1 if safe > 0 else 0
    budget = block + MAX_BLOCKS_PER_READ
    batch = 1
    while block < min(end, budget) and len(found) < limit:
        last_block = min(block + batch, end, budget)
        pages = await get_many(db[PAGES], [page_id(key, b) for b in range(block, last_block)])
        for number, page in zip(range(block, last_block), pages, strict=True):
            for entry in (page or {}).get("entries", []):
                if cursor < entry["seq"] <= safe:
                    cursor = entry["seq"]
                    if match is None or match(entry):
                        found.append(entry)
                        if len(found) == limit:
                            return FeedPage(found, cursor, cursor < safe)
            cursor = max(cursor, min((number + 1) * BLOCK, safe))
        block = last_block
        batch = min(batch * 2, _PAGES_PER_READ)
    return FeedPage(found, cursor, cursor < safe)


async def sweep_pages(db: AsyncDatabase, keep: timedelta) -> int:
    """Delete pages written longer than ``keep`` ago (a sweep: it filters on ``writtenAt``)."""
    result = await db[PAGES].delete_many({"writtenAt": {"$lt": utcnow() - keep}})
    return result.deleted_count
