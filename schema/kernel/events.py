"""Domain events written with the state change that causes them (DESIGN.md §7).

There are no multi-document transactions, so an event is first put in an ``outbox`` array
inside the changed document, in the same update as the change. Before that update the writer
inserts a small *pending marker* (``outbox_pending``), so a relay finds the documents to empty
without scanning big collections, and inserts it again after the update. The relay drops the
marker first, then copies each event into ``events`` (insert by the event's own id: a replay
is a duplicate-key no-op), then pulls it from the document. That order matters: a relay that
read the document just before a writer's update cannot delete the marker the writer puts
back afterwards, so no event waits for the document's next change. Removing events rewrites
the document under a revision claim (:mod:`schema.kernel.claims`), so it never undoes a
concurrent change of the document. A writer that crashes leaves its first marker behind;
a relay that fails puts the marker back; only a relay process dying between dropping a
marker and moving the events leaves them for the document's next change. Delivery to
webhooks is the partners domain's business and reads ``events``.
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from schema.kernel.claims import update_claimed
from schema.kernel.ids import new_id
from schema.kernel.time import utcnow

EVENTS = "events"
PENDING = "outbox_pending"
_DUPLICATE_KEY = 11000

TOPICS: frozenset[str] = frozenset((
    "order.created", "order.status_changed", "payment.succeeded", "payment.refunded",
    "voucher.issued", "voucher.redeemed", "points.earned", "points.redeemed",
    "inventory.low_stock", "store.updated"))


def make_event(topic: str, partner_id: str, resource_type: str, resource_id: str,
               sequence: int, data: dict[str, Any], occurred_at: datetime | None = None,
               ) -> dict[str, Any]:
    """An event document in the §7 shape; ``sequence`` increases per resource."""
    if topic not in TOPICS:
        raise ValueError(f"unknown event topic {topic!r}")
    return {"_id": new_id("evt"), "topic": topic, "partnerId": partner_id,
            "resource": {"type": resource_type, "id": resource_id}, "sequence": sequence,
            "occurredAt": occurred_at or utcnow(), "data": data}


def pending_marker(collection: str, document_id: str) -> dict[str, Any]:
    """The marker a writer inserts before putting events into ``document_id``'s outbox."""
    return {"_id": f"outbox:{collection}:{document_id}", "collection": collection,
            "documentIds": [document_id], "createdAt": utcnow()}


def batch_marker(collection: str, document_ids: list[str]) -> dict[str, Any]:
    """One marker for many documents a bulk write gives events (one insert, not hundreds);
    its id is unique, so marking again after the write adds a second marker."""
    return {"_id": f"outbox:{collection}:{new_id('evt')}", "collection": collection,
            "documentIds": document_ids, "createdAt": utcnow()}


async def mark_pending(db: AsyncDatabase, markers: list[dict[str, Any]]) -> None:
    """Insert markers; one already there (an earlier, unrelayed event) is fine."""
    if not markers:
        return
    try:
        await db[PENDING].insert_many(markers, ordered=False)
    except BulkWriteError as exc:
        if any(e["code"] != _DUPLICATE_KEY for e in exc.details["writeErrors"]):
            raise


async def relay_outboxes(db: AsyncDatabase, limit: int = 500) -> int:
    """Move pending outbox events into ``events``; returns how many events were moved."""
    moved = 0
    async for marker in db[PENDING].find({}).limit(limit):
        await db[PENDING].delete_one({"_id": marker["_id"]})
        try:
            for document_id in marker["documentIds"]:
                moved += await _relay_one(db, marker["collection"], document_id)
        except BaseException:
            await mark_pending(db, [marker])
            raise
    return moved


async def _relay_one(db: AsyncDatabase, collection: str, document_id: str) -> int:
    document = await db[collection].find_one({"_id": document_id}, {"outbox": 1})
    events = (document or {}).get("outbox") or []
    if not events:
        return 0
    try:
        await db[EVENTS].insert_many(events, ordered=False)
    except BulkWriteError as exc:
        if any(e["code"] != _DUPLICATE_KEY for e in exc.details["writeErrors"]):
            raise
    moved = {event["_id"] for event in events}

    def without_moved(current: dict[str, Any] | None) -> dict[str, Any] | None:
        outbox = (current or {}).get("outbox") or []
        remaining = [event for event in outbox if event["_id"] not in moved]
        if current is None or len(remaining) == len(outbox):
            return None
        return {**current, "outbox": remaining}

    await update_claimed(db[collection], db, document_id, without_moved)
    return len(events)
