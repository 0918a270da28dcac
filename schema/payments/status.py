"""A payment's status only moves forward, one claimed write per change.

REQUIRES_PAYMENT (waiting for the external portion) → PROCESSING (paid; completing what
success does: crediting a top-up) → SUCCEEDED; FAILED and CANCELED end a payment that did
not complete. Each change is a revision-claimed write (:func:`schema.kernel.claims.update_claimed`:
FerretDB updates are not atomic), so of two racing changes exactly one applies and the other
sees the result; the ``payment.succeeded`` event is appended in the write that makes the
payment SUCCEEDED (DESIGN.md §7).
"""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.events import append_event, mark_pending, pending_marker
from schema.kernel.time import utcnow
from schema.payments.collections import PAYMENTS

Document = dict[str, Any]
RESOURCE = "Payment"
PAYER = "payerPartnerId"
"""The partner whose app made the payment (a deal bought through another partner's app):
when it is not the merchant it gets a copy of the payment's events (DESIGN.md §7); that app
reads the payment anyway (:mod:`schema.payments.access`)."""

FORWARD: dict[str, frozenset[str]] = {
    "REQUIRES_PAYMENT": frozenset(("PROCESSING", "FAILED", "CANCELED")),
    "PROCESSING": frozenset(("SUCCEEDED", "FAILED")),
    "SUCCEEDED": frozenset(),
    "FAILED": frozenset(),
    "CANCELED": frozenset(),
}
FINAL = frozenset(("SUCCEEDED", "FAILED", "CANCELED"))


def may_move(current: str, to: str) -> bool:
    """Whether ``current`` → ``to`` is a forward step."""
    return to in FORWARD[current]


@dataclass(frozen=True, slots=True)
class Moved:
    """The payment after :func:`advance`, and whether this call moved it."""

    payment: Document
    moved: bool


def succeeded_event_data(payment: Document) -> Document:
    return {"paymentId": payment["_id"], "purpose": payment["purpose"],
            "status": "SUCCEEDED", "memberId": payment.get("memberId"),
            "amount": {"amount": payment["amount"], "currency": payment["currency"]},
            "portions": payment["portions"]}


async def advance(db: AsyncDatabase, payment_id: str, to: str, **fields: Any) -> Moved:
    """Move the payment to ``to`` (setting ``fields`` too) when that is a forward step from
    its status; otherwise leave it. Returns the payment as it now is."""

    def change(current: Document | None) -> Document | None:
        if current is None or not may_move(current["status"], to):
            return None
        now = utcnow()
        moved = {**current, **fields, "status": to, "updatedAt": now}
        if to in FINAL:
            moved["finishedAt"] = now
        if to == "SUCCEEDED":
            moved["succeededAt"] = now
            moved |= append_event(current, "payment.succeeded", current["merchantId"],
                                  RESOURCE, payment_id, succeeded_event_data(moved), now,
                                  also_for=[current.get(PAYER)])
        return moved

    marker = [pending_marker(PAYMENTS, payment_id)]
    if to == "SUCCEEDED":
        await mark_pending(db, marker)
    written = await update_claimed(db[PAYMENTS], db, payment_id, change)
    if written is not None:
        if to == "SUCCEEDED":
            await mark_pending(db, marker)
        return Moved(written, True)
    found = await db[PAYMENTS].find_one({"_id": payment_id})
    if found is None:
        raise LookupError(f"payment {payment_id} does not exist")
    return Moved(found, False)


async def revise(db: AsyncDatabase, payment_id: str, **fields: Any) -> Document | None:
    """Set ``fields`` on a payment without changing its status (a nextAction, say)."""

    def change(current: Document | None) -> Document | None:
        if current is None or all(current.get(k) == v for k, v in fields.items()):
            return None
        return {**current, **fields, "updatedAt": utcnow()}

    return await update_claimed(db[PAYMENTS], db, payment_id, change)
