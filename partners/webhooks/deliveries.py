"""One delivery per (event, endpoint): its state, attempts, retries and replay.

A delivery (``whd:<eventId>:<endpointId>`` in :data:`DELIVERIES`, so making it twice is a
duplicate-key no-op) carries the event it sends and its log: ``status`` (PENDING, SUCCEEDED,
FAILED — the last attempt failed and another is scheduled —, DEAD), ``attempts``,
``lastResponseCode``, ``lastLatencyMs``, ``lastError``, ``nextAttemptAt``. Its ``generation``
names its current listing in a due bucket (:mod:`.due`); scheduling lists the new generation
first and then writes it, so a crash in between leaves the old listing in charge (at worst one
extra attempt) and never a delivery listed nowhere.

Retries back off exponentially with jitter (:class:`RetryPolicy`) and go on for at least its
``window`` (24 h by default) after the first attempt or the last replay; the first failure past
the window makes the delivery DEAD. DEAD and SUCCEEDED deliveries can be replayed.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from partners.webhooks import due
from partners.webhooks.endpoints import ENDPOINTS
from schema.kernel.claimed_batch import update_claimed_many
from schema.kernel.claims import update_claimed
from schema.kernel.ids import InvalidId, parse_id
from schema.kernel.indexes import IndexSpec
from schema.kernel.time import as_utc, utcnow

DELIVERIES = "webhook_deliveries"
PENDING, FAILED, SUCCEEDED, DEAD = "PENDING", "FAILED", "SUCCEEDED", "DEAD"
WAITING = (PENDING, FAILED)
STATUSES = (PENDING, SUCCEEDED, FAILED, DEAD)
INDEXES: tuple[IndexSpec, ...] = (IndexSpec.on(DELIVERIES, "endpointId", "createdAt"),)
"""For replays since a time and the retention sweep on MongoDB."""

Document = dict[str, Any]


class DeliveryNotFound(LookupError):
    """No such delivery (or not the caller's)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Delay before attempt n+1: ``min(cap, base · 2ⁿ⁻¹)`` scaled by a random factor in
    [1 - jitter, 1]; attempts stop (DEAD) at the first failure ``window`` after the first."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=2)
    window: timedelta = timedelta(hours=24)
    jitter: float = 0.5

    def delay(self, attempts: int) -> timedelta:
        plain = min(self.cap, self.base * 2 ** max(attempts - 1, 0))
        return plain * random.uniform(1 - self.jitter, 1)


def delivery_id(event_id: str, endpoint_id: str) -> str:
    return f"whd:{event_id}:{endpoint_id}"


def parse_delivery_id(value: object) -> str:
    """``value`` if it is a delivery id (``whd:<evt_…>:<whk_…>``), else :class:`InvalidId`:
    a caller's id never reaches a query unless it is a plain string of that form."""
    refused = InvalidId(f"{value!r} is not a webhook delivery id "
                        "(whd:<event id>:<endpoint id>)")
    if not isinstance(value, str) or value.count(":") != 2 or not value.startswith("whd:"):
        raise refused
    _, event_id, endpoint_id = value.split(":")
    try:
        parse_id(event_id, "evt")
        parse_id(endpoint_id, "whk")
    except InvalidId as exc:
        raise refused from exc
    return value


def new_delivery(event: Document, endpoint: Document, now: datetime) -> Document:
    return {"_id": delivery_id(event["_id"], endpoint["_id"]), "eventId": event["_id"],
            "endpointId": endpoint["_id"], "partnerId": endpoint["partnerId"],
            "topic": event["topic"], "event": event, "status": PENDING, "attempts": 0,
            "generation": 1, "lastResponseCode": None, "lastLatencyMs": None,
            "lastError": None, "nextAttemptAt": now, "retryFrom": None, "createdAt": now,
            "updatedAt": now, "deliveredAt": None}


async def get_delivery(db: AsyncDatabase, delivery_id: str) -> Document | None:
    return await db[DELIVERIES].find_one({"_id": delivery_id})


async def reschedule(db: AsyncDatabase, delivery_id: str, generation: int, due_at: datetime,
                     change: Callable[[Document], Document]) -> Document | None:
    """List the delivery's next generation in the bucket of ``due_at``, then write
    ``change(current)`` with that generation and time, if it is still at ``generation``
    (None otherwise: someone else rescheduled it first)."""
    await due.schedule(db, [due.entry(delivery_id, generation + 1)], due_at)

    def next_generation(current: Document | None) -> Document | None:
        if current is None or current["generation"] != generation:
            return None
        return {**change(current), "generation": generation + 1, "nextAttemptAt": due_at,
                "updatedAt": utcnow()}

    return await update_claimed(db[DELIVERIES], db, delivery_id, next_generation)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt: the response code (None: no response), latency and error text."""

    code: int | None
    latency_ms: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


async def record_attempts(db: AsyncDatabase, attempts: Sequence[tuple[Document, Outcome]],
                          now: datetime, policy: RetryPolicy) -> list[Document | None]:
    """Write the outcomes of attempts at distinct deliveries in one go: SUCCEEDED, or FAILED
    with the next attempt scheduled, or DEAD past the retry window; None for a delivery that
    moved on meanwhile (a replay). Next attempts are listed (one append per bucket) before
    they are written, as :func:`reschedule` does."""
    later: dict[datetime, list[str]] = {}
    changes: list[tuple[str, Callable[[Document | None], Document | None]]] = []
    for delivery, outcome in attempts:
        generation = delivery["generation"]
        retry_from = as_utc(delivery["retryFrom"]) if delivery.get("retryFrom") else now
        log = {"attempts": delivery["attempts"] + 1, "lastResponseCode": outcome.code,
               "lastLatencyMs": outcome.latency_ms, "lastError": outcome.error,
               "retryFrom": retry_from, "lastAttemptAt": now, "updatedAt": utcnow()}
        if outcome.ok or now - retry_from >= policy.window:
            log |= {"status": SUCCEEDED if outcome.ok else DEAD, "nextAttemptAt": None}
            if outcome.ok:
                log["deliveredAt"] = now
        else:
            due_at = utcnow() + policy.delay(log["attempts"])
            later.setdefault(due.due_slot(due_at), []).append(
                due.entry(delivery["_id"], generation + 1))
            log |= {"status": FAILED, "nextAttemptAt": due_at, "generation": generation + 1}
        changes.append((delivery["_id"], _unless_moved(generation, log)))
    for slot, entries in later.items():
        await due.schedule(db, entries, slot)
    return await update_claimed_many(db[DELIVERIES], db, changes)


def _unless_moved(generation: int, fields: Document) -> Callable[[Document | None],
                                                                  Document | None]:
    def change(current: Document | None) -> Document | None:
        if current is None or current["generation"] != generation:
            return None
        return {**current, **fields}
    return change


async def give_up(db: AsyncDatabase, delivery: Document, reason: str) -> Document | None:
    """Make a delivery DEAD without an attempt (its endpoint is disabled or gone)."""

    def dead(current: Document | None) -> Document | None:
        if current is None or current["generation"] != delivery["generation"]:
            return None
        return {**current, "status": DEAD, "lastError": reason, "nextAttemptAt": None,
                "updatedAt": utcnow()}

    return await update_claimed(db[DELIVERIES], db, delivery["_id"], dead)


async def replay(db: AsyncDatabase, delivery_id: str, partner_id: str | None = None) -> Document:
    """Send a delivery again now (whatever its status), with a fresh retry window; returns
    it as scheduled. ``partner_id``: only that partner's delivery."""
    for _ in range(5):
        current = await get_delivery(db, delivery_id)
        if current is None or (partner_id is not None and current["partnerId"] != partner_id):
            raise DeliveryNotFound(f"no webhook delivery {delivery_id}")
        written = await reschedule(
            db, delivery_id, current["generation"], utcnow(),
            lambda found: {**found, "status": PENDING, "retryFrom": None})
        if written is not None:
            return written
    raise RuntimeError(f"delivery {delivery_id} kept changing; replay it again")


async def replay_since(db: AsyncDatabase, endpoint_id: str, since: datetime,
                       partner_id: str | None = None) -> int:
    """Replay every delivery to the endpoint made at or after ``since``; returns how many.
    ``partner_id``: only that partner's endpoint (else :class:`DeliveryNotFound`). A rare,
    partner-asked operation: on FerretDB its filter reads the collection."""
    if partner_id is not None:
        endpoint = await db[ENDPOINTS].find_one({"_id": endpoint_id}, {"partnerId": 1})
        if endpoint is None or endpoint["partnerId"] != partner_id:
            raise DeliveryNotFound(f"no webhook endpoint {endpoint_id}")
    found = await db[DELIVERIES].find(
        {"endpointId": endpoint_id, "createdAt": {"$gte": since}}, {"_id": 1}).to_list()
    for document in found:
        await replay(db, document["_id"])
    return len(found)


async def sweep_deliveries(db: AsyncDatabase, keep: timedelta) -> int:
    """Delete finished deliveries made longer than ``keep`` ago (a sweep)."""
    result = await db[DELIVERIES].delete_many(
        {"createdAt": {"$lt": utcnow() - keep}, "status": {"$in": [SUCCEEDED, DEAD]}})
    return result.deleted_count
