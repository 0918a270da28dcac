"""What a change of a store is: the fields it changes and the ``store.updated`` event that
goes with it (DESIGN.md §7).

The event rides in the store document's ``outbox`` and is written in the same replace as the
change, so there is never a change without its event nor an event without its change; the
relay (:func:`schema.kernel.events.relay_outboxes`) moves it into ``events``. Its sequence is
the revision the change writes under its claim, so concurrent writers get distinct, increasing
sequences (the relay's own rewrite of the outbox also takes a revision, so sequences increase
but may skip numbers).
"""

from datetime import datetime
from typing import Any

from schema.kernel.events import make_event

TOPIC = "store.updated"
RESOURCE = "Store"
# Fields that are not the store's content: identity, revision, the outbox itself, timestamps
# and the H3 cells derived from ``location``.
BOOKKEEPING = frozenset({"_id", "rev", "outbox", "updatedAt", "createdAt", "h3"})

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
    revision = (current or {}).get("rev", 0) + 1  # the revision update_claimed will write
    event = make_event(TOPIC, wanted["partnerId"], RESOURCE, wanted["_id"], revision,
                       {"changed": changed, "created": current is None,
                        "code": wanted["code"], "status": wanted["status"]}, now)
    return {**wanted, "outbox": [*(current or {}).get("outbox", []), event]}
