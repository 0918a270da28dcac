"""``events(since, topics, first)``: a partner's own events, so a receiver reconciles after an
outage without missing one (issue #16 point 4).

The relay appends every event to its partner's sequenced feed
(:func:`schema.kernel.events.feed_events`); this reads that feed below its safe watermark
(:mod:`schema.kernel.feeds`), so an event whose write finished late is served after the ones
already read, never skipped. Delivery is at-least-once: a relay that died mid-round appends its
events again, so a reader may meet an event id twice across pages and de-duplicates by it
(one page never holds the same event twice). ``since`` is an opaque cursor; the feed's order
is the relay's, not ``occurredAt``'s.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel import feeds
from schema.kernel.events import TOPICS, partner_feed

MAX_FIRST = 1000

Document = dict[str, Any]


class BadFeedRequest(ValueError):
    """``first``, ``topics`` or ``since`` is not acceptable; ``argument`` names which."""

    def __init__(self, message: str, argument: str) -> None:
        super().__init__(message)
        self.argument = argument


@dataclass(frozen=True, slots=True)
class EventsPage:
    """Events in feed order; ``cursor``: pass it as ``since`` next time; ``has_more``: more
    are ready now."""

    events: list[Document]
    cursor: str
    has_more: bool


async def partner_events(db: AsyncDatabase, partner_id: str, since: str | None = None,
                         topics: Sequence[str] | None = None, first: int = 100) -> EventsPage:
    """Up to ``first`` (1 … 1000) of the partner's events after ``since`` whose topic is in
    ``topics`` (all when None or empty)."""
    if not 1 <= first <= MAX_FIRST:
        raise BadFeedRequest(f"first must be 1 to {MAX_FIRST}, got {first}", "first")
    wanted = frozenset(topics or ())
    unknown = sorted(wanted - TOPICS)
    if unknown:
        raise BadFeedRequest(f"unknown topics: {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(TOPICS))}", "topics")
    try:
        after = feeds.decode_cursor(since)
    except feeds.BadCursor as exc:
        raise BadFeedRequest(str(exc), "since") from exc
    page = await feeds.read(db, partner_feed(partner_id), after, first,
                            (lambda entry: entry["topic"] in wanted) if wanted else None)
    unique = list({entry["_id"]: _event(entry) for entry in page.entries}.values())
    return EventsPage(unique, feeds.encode_cursor(page.cursor), page.more)


def _event(entry: Document) -> Document:
    """The event as stored in ``events`` (the feed entry without its feed number)."""
    return {key: value for key, value in entry.items() if key != "seq"}
