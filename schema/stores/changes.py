"""What a change of a store is: the fields it changes and the ``store.updated`` event that
goes with it (DESIGN.md §7).

The event rides in the store document's ``outbox`` and is written in the same replace as the
change, so there is never a change without its event nor an event without its change; the
relay (:func:`schema.kernel.events.relay_outboxes`) moves it into ``events``. Its sequence is
the store's event counter, advanced by the same claimed write: 1, 2, 3 … per store.
"""

from datetime import datetime
from typing import Any

from schema.kernel.events import OUTBOX, SEQUENCE, append_event

TOPIC = "store.updated"
RESOURCE = "Store"
# Fields that are not the store's content: identity, revision, the outbox and its event
# counter, timestamps and the H3 cells derived from ``location``.
BOOKKEEPING = frozenset({"_id", "rev", OUTBOX, SEQUENCE, "updatedAt", "createdAt", "h3"})

Document = dict[str, Any]


def changed_fields(current: Document | None, wanted: Document) -> list[str]:
    """The content fields ``wanted`` changes (every one when the store is new), sorted."""
    if current is None:
        return sorted(set(wanted) - BOOKKEEPING)
    names = (set(wanted) | set(current)) - BOOKKEEPING
    return sorted(n for n in names if current.get(n) != wanted.get(n))


def revise(current: Document | None, wanted: Document, now: datetime) -> Document | None:
    """``wanted`` with its ``store.updated`` event appended to the outbox, for
    :func:`schema.kernel.claims.update_claimed`; None when it changes nothing."""
    changed = changed_fields(current, wanted)
    if not changed:
        return None
    data = {"changed": changed, "created": current is None, "code": wanted["code"],
            "status": wanted["status"]}
    return {**wanted, **append_event(current, TOPIC, wanted["partnerId"], RESOURCE,
                                     wanted["_id"], data, now)}
