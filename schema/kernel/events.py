"""Domain events written with the state change that causes them (DESIGN.md §7): none is
lost, and each resource's events are numbered 1, 2, 3 … without gaps.

There are no multi-document transactions, so an event goes into an ``outbox`` array inside
the changed document, in the same claimed write as the change (:func:`append_event`), and a
relay (:func:`relay_outboxes`) moves it into ``events`` and into the sequenced feeds
(:mod:`schema.kernel.feeds`) that readers follow by cursor: the feed of the partner whose event
it is (:func:`partner_feed`, behind the partners' ``events(since, topics, first)``) and the
feed of all events (:data:`ALL_EVENTS_FEED`, which webhook delivery follows to find new events
without scanning ``events``). Delivery to webhooks is the partners domain's business.

**Whose events.** An event belongs to the partner that owns the resource (``partnerId``).
When another partner's app took part (it placed the order, bought the deal), that partner
gets its own copy: the writer names it in ``alsoFor`` (:func:`participants`: never the owner,
each once), and the relay appends the event, with the same id, to each participant's feed
too; webhook delivery makes a delivery for their endpoints as well. The copy is the owner's
event as it is, so a writer names a participant only for events whose data that partner may
see anyway (the order it placed, the voucher it bought).

**Sequences.** :func:`append_event` also advances the document's ``eventSequence`` counter,
and the new value is the event's ``sequence``. Shared documents are written under revision
claims (:mod:`schema.kernel.claims`: measured, FerretDB v1 updates are unlocked
read-modify-writes), so every write starts from the one before it and no two events share a
number; only appending an event advances the counter, so none is skipped (the relay's own
rewrite of the outbox takes a revision but keeps the counter).

**Finding the outboxes.** Looking for non-empty outboxes would scan whole collections on
FerretDB, so a writer records a *pending marker* (collection and document ids) right before
it claims the write that appends events, and again after writing; every :func:`mark_pending`
inserts a new marker with a unique id, the one write FerretDB does atomically. A relay pass
over a marker reads its documents, copies their outbox events into ``events`` (by event id: a
copy already there is a duplicate-key no-op) and then pulls exactly the copied events out of
each document under a revision claim, so it never undoes a concurrent change.

**Feeding.** A round copies the events of all its markers into ``events`` first, then appends
them (once each, whatever the number of markers naming their documents) to the feeds, and only
then pulls them out of their documents. A relay that dies before the pull leaves them in the
outbox, so the next pass appends them again: a feed is at-least-once, and its readers
de-duplicate by event id. A feed write that fails ends the round in :class:`RelayError` with
nothing pulled.

**When a marker may go.** A marker is deleted only after a pass that began after every write
it stands for; a relay that dies anywhere before that leaves the marker, and the next relay
makes the pass again. A relay cannot tell a marker recorded after its write from one recorded
before a write that has not happened yet: had it deleted that one after reading the document,
a writer dying between its write and its second marker would strand the event. So each marker
gets two passes. The first comes as soon as a relay sees it (then ``relayedAt`` is set), so
events move within a tick of the second marker. The last comes once the marker is
:data:`SETTLED` old, and only then is it deleted: a writer claims right after marking and
writes within ``WRITE_WITHIN`` of claiming or not at all, so by then its write has happened or
never will, and this pass moves the event of a writer that died before marking again. (Like
claim leases, this assumes the processes' clocks agree to within the slack.)

**Failures.** A document whose outbox cannot be pulled (its revision held by a dead writer's
claim until the claim lease runs out) does not hold up the other markers: the round goes on
and ends in :class:`RelayError`, and the marker is tried again next round. A lost connection
ends the round at once.

**Retention.** Events are kept for ``LOOPGATE_EVENT_RETENTION_DAYS`` days (default 30) after
they occurred; :func:`sweep_events`, a subgraph sweep, deletes older ones.
"""

import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, ConnectionFailure

from schema.kernel import feeds
from schema.kernel.claims import CLAIM_LEASE, update_claimed
from schema.kernel.ids import new_id
from schema.kernel.indexes import IndexSpec
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

EVENTS = "events"
PENDING = "outbox_pending"
INDEXES: tuple[IndexSpec, ...] = (IndexSpec.on(EVENTS, "occurredAt"),
                                   IndexSpec.on(feeds.PAGES, "writtenAt"))
"""For the retention sweeps on MongoDB (FerretDB v1 scans whatever the filter); every subgraph
that writes events declares them."""
OUTBOX = "outbox"
ALSO_FOR = "alsoFor"
SEQUENCE = "eventSequence"
SETTLED = 2 * CLAIM_LEASE
RETENTION_ENV = "LOOPGATE_EVENT_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30
_DUPLICATE_KEY = 11000
PULL_WAIT = 0.1
"""Seconds the relay waits to pull copied events out of a busy document: it does not queue
behind writers, the next round tries again (see Failures)."""

Document = dict[str, Any]

TOPICS: frozenset[str] = frozenset((
    "order.created", "order.status_changed", "payment.succeeded", "payment.refunded",
    "voucher.issued", "voucher.redeemed", "points.earned", "points.redeemed",
    "inventory.low_stock", "store.updated", "partner.endpoint_disabled"))

ALL_EVENTS_FEED = "events:*"
"""The feed of every event (entries: the whole event, so its readers need not read
``events``), in relay order."""


def partner_feed(partner_id: str) -> str:
    """The key of the feed of one partner's events (entries: the whole event)."""
    return f"events:{partner_id}"


class RelayError(RuntimeError):
    """Some markers could not be relayed this round; they are kept for the next one."""


def participants(owner: str, also_for: Iterable[str | None]) -> list[str]:
    """The partners besides ``owner`` that get a copy of an event: each once, in the given
    order, without the owner or empty ids."""
    return [p for p in dict.fromkeys(also_for) if p and p != owner]


def receivers(event: Document) -> list[str]:
    """Every partner the event goes to: its owner, then its participants."""
    owner = event.get("partnerId")
    return [*([owner] if owner else []), *event.get(ALSO_FOR, [])]


def make_event(topic: str, partner_id: str, resource_type: str, resource_id: str,
               sequence: int, data: dict[str, Any], occurred_at: datetime | None = None,
               also_for: Iterable[str | None] = ()) -> Document:
    """An event document in the §7 shape; ``also_for``: the partners whose apps took part
    (see Whose events; kept only when there is one)."""
    if topic not in TOPICS:
        raise ValueError(f"unknown event topic {topic!r}")
    event = {"_id": new_id("evt"), "topic": topic, "partnerId": partner_id,
             "resource": {"type": resource_type, "id": resource_id}, "sequence": sequence,
             "occurredAt": occurred_at or utcnow(), "data": data}
    others = participants(partner_id, also_for)
    if others:
        event[ALSO_FOR] = others
    return event


def append_event(current: Document | None, topic: str, partner_id: str, resource_type: str,
                 resource_id: str, data: dict[str, Any], now: datetime,
                 also_for: Iterable[str | None] = ()) -> Document:
    """The fields that append one event about the resource ``current`` holds (None: a new
    document) to its outbox: the outbox and the advanced ``eventSequence``. Merge them into
    the document's next version, written under the same revision claim as the change.
    ``also_for``: the partners that get a copy (see Whose events)."""
    sequence = (current or {}).get(SEQUENCE, 0) + 1
    event = make_event(topic, partner_id, resource_type, resource_id, sequence, data, now,
                       also_for)
    return {OUTBOX: [*(current or {}).get(OUTBOX, []), event], SEQUENCE: sequence}


def pending_marker(collection: str, document_id: str) -> Document:
    """What :func:`mark_pending` records for one document given events."""
    return {"collection": collection, "documentIds": [document_id]}


def batch_marker(collection: str, document_ids: Sequence[str]) -> Document:
    """What :func:`mark_pending` records for many documents a bulk write gives events (one
    insert, not hundreds)."""
    return {"collection": collection, "documentIds": list(document_ids)}


async def mark_pending(db: AsyncDatabase, markers: Sequence[Document]) -> None:
    """Record a new marker for each of ``markers``: call it right before claiming the write
    that appends the events, and again once that write is done."""
    if not markers:
        return
    now = utcnow()
    await db[PENDING].insert_many([
        {**marker, "_id": f"outbox:{marker['collection']}:{new_id('evt')}", "createdAt": now}
        for marker in markers])


async def relay_outboxes(db: AsyncDatabase, limit: int = 500) -> int:
    """Make a pass over the markers due one (new ones, and settled ones, which are then
    deleted), oldest first; returns how many outbox events were copied into ``events``."""
    now = utcnow()
    settled_before = now - SETTLED
    due = {"$or": [{"relayedAt": {"$exists": False}}, {"createdAt": {"$lt": settled_before}}]}
    markers = await db[PENDING].find(due).sort("createdAt", 1).limit(limit).to_list()
    copied: list[tuple[Document, list[Document]]] = []
    failures: list[Exception] = []
    for marker in markers:
        try:
            copied.append((marker, await _copy(db, marker)))
        except ConnectionFailure:
            raise
        except Exception as exc:
            failures.append(exc)
    events = list({event["_id"]: event for _, documents in copied
                   for document in documents for event in document[OUTBOX]}.values())
    try:
        await feed_events(db, events)
    except ConnectionFailure:
        raise
    except Exception as exc:
        raise RelayError(f"{len(events)} events could not be fed; {len(markers)} outbox "
                         "markers kept for the next round") from exc
    for marker, documents in copied:
        try:
            for document in documents:
                await _pull(db, db[marker["collection"]], document["_id"],
                            {e["_id"] for e in document[OUTBOX]})
            if marker["createdAt"] < settled_before:
                await db[PENDING].delete_one({"_id": marker["_id"]})
            else:
                await db[PENDING].update_one({"_id": marker["_id"]},
                                             {"$set": {"relayedAt": now}})
        except ConnectionFailure:
            raise
        except Exception as exc:
            failures.append(exc)
    if failures:
        raise RelayError(f"{len(failures)} of {len(markers)} outbox markers could not be "
                         "relayed; kept for the next round") from failures[0]
    return len(events)


async def _copy(db: AsyncDatabase, marker: Document) -> list[Document]:
    """Copy the outbox events of the marker's documents into ``events``; returns the
    documents that had any (with their outboxes)."""
    collection = db[marker["collection"]]
    found = await get_many(collection, list(dict.fromkeys(marker["documentIds"])), {OUTBOX: 1})
    documents = [d for d in found if d is not None and d.get(OUTBOX)]
    events = [event for document in documents for event in document[OUTBOX]]
    if not events:
        return []
    try:
        await db[EVENTS].insert_many(events, ordered=False)
    except BulkWriteError as exc:
        if any(e["code"] != _DUPLICATE_KEY for e in exc.details["writeErrors"]):
            raise
    return documents


async def feed_events(db: AsyncDatabase, events: Sequence[Document]) -> None:
    """Append ``events`` (already in ``events``) to the feeds of their partners (owners and
    participants), then to the feed of all events. Like the pull, the relay does not queue
    behind a claimed feed document (a stopped relay's, until its claim lease ends): it waits
    :data:`PULL_WAIT` and the round ends in an error, to be tried again at the next one."""
    by_partner: dict[str, list[Document]] = {}
    for event in events:
        for partner_id in receivers(event):
            by_partner.setdefault(partner_id, []).append(event)
    for partner_id, theirs in by_partner.items():
        await feeds.append(db, partner_feed(partner_id), theirs, wait=PULL_WAIT)
    await feeds.append(db, ALL_EVENTS_FEED, events, wait=PULL_WAIT)


async def _pull(db: AsyncDatabase, collection: AsyncCollection, document_id: str,
                copied: set[str]) -> None:
    def without_copied(current: Document | None) -> Document | None:
        outbox = (current or {}).get(OUTBOX) or []
        remaining = [event for event in outbox if event["_id"] not in copied]
        if current is None or len(remaining) == len(outbox):
            return None
        return {**current, OUTBOX: remaining}

    await update_claimed(collection, db, document_id, without_copied, wait=PULL_WAIT)


def retention() -> timedelta:
    """How long events are kept: ``LOOPGATE_EVENT_RETENTION_DAYS`` (read when the sweep runs;
    ``loopgate`` refuses to start with a value that is not a whole number ≥ 1)."""
    raw = os.environ.get(RETENTION_ENV, "").strip()
    days = int(raw) if raw else DEFAULT_RETENTION_DAYS
    if days < 1:
        raise ValueError(f"{RETENTION_ENV} must be at least 1, got {days}")
    return timedelta(days=days)


async def sweep_events(db: AsyncDatabase, keep: timedelta | None = None) -> int:
    """Delete the events that occurred longer than ``keep`` (default :func:`retention`) ago,
    and the feed pages written that long ago; returns how many events."""
    kept = keep if keep is not None else retention()
    result = await db[EVENTS].delete_many({"occurredAt": {"$lt": utcnow() - kept}})
    await feeds.sweep_pages(db, kept)
    return result.deleted_count
