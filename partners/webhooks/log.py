"""The delivery log a partner reads: each delivery to one endpoint, oldest first, with its
current status, attempts, last response code and latency.

The fan-out appends every delivery it makes to the endpoint's sequenced feed
(``whlog:<endpointId>``, :mod:`schema.kernel.feeds`), so the log is read by cursor with point
reads, never by scanning deliveries; each page then reads its deliveries' current state by
``_id``. A fan-out that redid a batch may have appended a delivery twice: a page lists each
once, and deliveries removed by the retention sweep are left out.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from partners.webhooks.deliveries import DELIVERIES, STATUSES
from schema.kernel import feeds
from schema.kernel.reads import get_many

MAX_FIRST = 100
MAX_READS = 10

Document = dict[str, Any]


class BadLogRequest(ValueError):
    """``first`` or ``after`` is not acceptable; the message says which."""


def log_feed(endpoint_id: str) -> str:
    return f"whlog:{endpoint_id}"


async def log_deliveries(db: AsyncDatabase, deliveries: Sequence[Document]) -> None:
    """Append new deliveries to their endpoints' logs (the fan-out calls it)."""
    by_endpoint: dict[str, list[Document]] = {}
    for delivery in deliveries:
        by_endpoint.setdefault(delivery["endpointId"], []).append({"_id": delivery["_id"]})
    for endpoint_id, entries in by_endpoint.items():
        await feeds.append(db, log_feed(endpoint_id), entries)


@dataclass(frozen=True, slots=True)
class LogPage:
    """Deliveries oldest first; ``cursors[i]``: the cursor just past ``deliveries[i]`` (a
    Relay edge's cursor); ``cursor``: past everything this page read (entries a status filter
    left out included), where the next page starts; ``has_more``: more entries are readable
    now."""

    deliveries: list[Document]
    cursor: str
    has_more: bool
    cursors: list[str] = field(default_factory=list)


async def delivery_log(db: AsyncDatabase, endpoint_id: str, after: str | None = None,
                       first: int = 50, status: str | None = None) -> LogPage:
    """Up to ``first`` (1 … 100) deliveries to the endpoint after the cursor ``after`` (None
    or ``""``: from the oldest kept); with ``status``, only those in it now. A filtered page
    reads on until it holds ``first`` or the log's readable end, at most :data:`MAX_READS`
    feed reads, so a page may still hold fewer with ``has_more`` set."""
    if not 1 <= first <= MAX_FIRST:
        raise BadLogRequest(f"first must be 1 to {MAX_FIRST}, got {first}")
    if status is not None and status not in STATUSES:
        raise BadLogRequest(f"status must be one of {', '.join(STATUSES)}")
    try:
        position = feeds.decode_cursor(after or None)
    except feeds.BadCursor as exc:
        raise BadLogRequest(str(exc)) from exc
    found: list[Document] = []
    cursors: list[str] = []
    seen: set[str] = set()
    more = False
    for _ in range(MAX_READS):
        page = await feeds.read(db, log_feed(endpoint_id), position, first - len(found))
        entries = []
        for entry in page.entries:
            if entry["_id"] not in seen:
                seen.add(entry["_id"])
                entries.append(entry)
        current = await get_many(db[DELIVERIES], [e["_id"] for e in entries])
        for entry, delivery in zip(entries, current, strict=True):
            if delivery is not None and (status is None or delivery["status"] == status):
                found.append(delivery)
                cursors.append(feeds.encode_cursor(entry["seq"]))
        position, more = page.cursor, page.more
        if len(found) >= first or not more:
            break
    return LogPage(found, feeds.encode_cursor(position), more, cursors)
