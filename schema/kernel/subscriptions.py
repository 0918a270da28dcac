"""Subscriptions fed by the event store (issue #17 point 1): a subgraph's subscription field
follows the caller's partner feed and yields a resource each time one of its events arrives.

The relay appends every event to its partners' sequenced feeds (:mod:`schema.kernel.events`),
in the database, so an event written by any process reaches the subscribers of every
process. There are no change streams on FerretDB, so the feed is polled: one point read of
the feed document (its safe watermark) and point reads of new pages, every :data:`POLL_S`
seconds, backing off to :data:`MAX_POLL_S` while nothing arrives, by one poller per feed in a
process however many subscriptions follow it (:mod:`schema.kernel.feed_watch`). Entries are
served only below the watermark, so an event whose feed write finishes late is delivered
after the ones before it, never skipped (:mod:`schema.kernel.feeds`).

**Resuming.** ``after`` is the id of the last event the client saw (each delivery names its
event: the gateway reads it from the :class:`EventTap` of the request context). The event is
read by id; one the caller never received, or no longer retained, is refused with
BAD_USER_INPUT. Its place in the feed is then found without a scan: pages are written in
block order, each within ``WRITE_WITHIN`` of the next, and none before the event occurred
can hold it, so a binary search over blocks by ``writtenAt`` finds the first page that may
hold it and a walk forward finds it. Delivery restarts right after it; if the walk does not
meet it (its page swept), restart at the first page that may hold it: at-least-once, like the
feed itself. Readers de-duplicate by event id; so does one subscription, over its recent
deliveries.
"""

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel import feeds
from schema.kernel.claims import WRITE_WITHIN
from schema.kernel.errors import bad_user_input
from schema.kernel.events import EVENTS, partner_feed, receivers
from schema.kernel.feed_watch import watch
from schema.kernel.reads import get_many
from schema.kernel.time import as_utc

POLL_S = 0.5
MAX_POLL_S = 2.0
EVENT_TAP = "eventTap"
"""The key of the gateway's :class:`EventTap` in the request context."""
CLOCK_SLACK = timedelta(seconds=60)
"""How far the processes' clocks may disagree (as claim leases and feeds assume)."""
_RECENT = 1024
_PAGE = 100
_PROBE = 16

Document = dict[str, Any]
Match = Callable[[Document], bool]


@dataclass(slots=True)
class EventTap:
    """Where a subscription records the event behind its latest delivery, for the gateway to
    hand the client (the id to resume ``after``)."""

    event_id: str | None = None


def record(request: Any, event: Document) -> None:
    """Note ``event`` as the one behind the delivery about to be yielded (``request``: the
    request context the gateway handed the subgraph)."""
    tap = request.get(EVENT_TAP) if hasattr(request, "get") else None
    if isinstance(tap, EventTap):
        tap.event_id = event["_id"]


async def follow(db: AsyncDatabase, partner_id: str, match: Match, after: str | None, *,
                 poll_s: float = POLL_S, max_poll_s: float = MAX_POLL_S
                 ) -> AsyncIterator[Document]:
    """The partner's events that ``match`` accepts, from right after the event ``after``
    (None: from now on), forever; each event id once. ``after`` is checked here, before the
    stream is handed out, so a bad one is the subscribe's error, not the first event's."""
    key = partner_feed(partner_id)
    position = await start_position(db, key, partner_id, after)
    return _events(db, key, position, match, after, poll_s, max_poll_s)


async def _events(db: AsyncDatabase, key: str, position: int, match: Match,
                  after: str | None, poll_s: float, max_poll_s: float
                  ) -> AsyncIterator[Document]:
    """Read the feed itself up to the shared watch's position, then take the watch's
    entries; back to reading itself whenever the watch dropped it for lagging."""
    recent: OrderedDict[str, None] = OrderedDict()
    if after is not None:
        recent[after] = None

    def fresh(entries: list[Document]) -> list[Document]:
        found = []
        for entry in entries:
            if entry["seq"] <= position or entry["_id"] in recent or not match(entry):
                continue
            recent[entry["_id"]] = None
            if len(recent) > _RECENT:
                recent.popitem(last=False)
            found.append({k: v for k, v in entry.items() if k != "seq"})
        return found

    while True:
        shared = watch(db, key, poll_s, max_poll_s)
        listener = await shared.join()
        try:
            while position < listener.start:
                page = await feeds.read(db, key, position, _PAGE)
                entries = [e for e in page.entries if e["seq"] <= listener.start]
                for event in fresh(entries):
                    yield event
                position = min(page.cursor, listener.start)
                if not page.more and position < listener.start:
                    await asyncio.sleep(poll_s)   # the watermark never goes back: wait
            while not listener.lagged:
                entries = await listener.take()
                events = fresh(entries)
                position = max([position, *(e["seq"] for e in entries)])
                for event in events:
                    yield event
        finally:
            shared.leave(listener)


async def start_position(db: AsyncDatabase, key: str, partner_id: str,
                         after: str | None) -> int:
    """The feed number to read after: the watermark for None, else right after ``after``."""
    if after is None:
        return await feeds.watermark(db, key)
    if not isinstance(after, str) or not after.startswith("evt_"):
        raise bad_user_input("after must be the id of an event you received (evt_…)",
                             argument="after")
    event = await db[EVENTS].find_one({"_id": after})
    if event is None or partner_id not in receivers(event):
        raise bad_user_input(f"event {after} is unknown or no longer retained: subscribe "
                             "again without after (and read the current state)",
                             argument="after")
    start = await _first_possible(db, key, as_utc(event["occurredAt"]) - CLOCK_SLACK
                                  - WRITE_WITHIN)
    found = await feeds.read(db, key, start, 1, lambda entry: entry["_id"] == after)
    while not found.entries and found.more:
        found = await feeds.read(db, key, found.cursor, 1, lambda entry: entry["_id"] == after)
    return found.entries[0]["seq"] if found.entries else start


async def _first_possible(db: AsyncDatabase, key: str, since: datetime) -> int:
    """The feed number before the first block whose page may hold an event that occurred at
    or after ``since``: every block before it has a page written before ``since``."""
    safe = await feeds.watermark(db, key)
    low, high = 0, feeds.block_of(safe) + 1 if safe > 0 else 0
    while low < high:   # invariant: blocks < low were written before since
        middle = (low + high) // 2
        written = await _written_at(db, key, middle, high)
        if written is None or written < since:
            low = middle + 1
        else:
            high = middle
    return low * feeds.BLOCK


async def _written_at(db: AsyncDatabase, key: str, block: int, end: int) -> datetime | None:
    """When the first page at or after ``block`` (below ``end``, a few blocks on) was
    written; None when those blocks have none: swept (old), or a dead writer's gap (a lease
    is a few blocks), so nothing there to start at."""
    blocks = range(block, min(block + _PROBE, end))
    pages = await get_many(db[feeds.PAGES], [feeds.page_id(key, b) for b in blocks],
                           {"writtenAt": 1})
    for page in pages:
        if page is not None:
            return as_utc(page["writtenAt"])
    return None
