"""Refunds: several partial refunds of a SUCCEEDED payment, never more in total than it was.

A refund is first *reserved* in the payment document, one claimed write that checks the sum
of the refunds against the amount (so racing refunds never exceed it: each decides from the
one before it) and splits the refund over the methods the money came from: external first,
then stored value, then points. Then the money moves, each part once by its own id (the
provider's refund by refund id; the wallet's ``<op>:refund`` operation, which gives back to
the lots the payment spent), and a second claimed write marks the refund SUCCEEDED together
with its ``payment.refunded`` event. The refund's id derives from the operation id its
idempotency key is bound to, and it sits on the work list until done
(:mod:`schema.payments.worklist`), so a crash anywhere is completed by a retry or the job.

Points go back in whole points: the points part of refunds so far, as money, is converted at
the payment's own rate and rounded down, and the last refund of the points portion returns
every point left, so the points given back add up to the points taken.
"""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import Contended, update_claimed
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.events import append_event, mark_pending, pending_marker
from schema.kernel.ids import stable_id
from schema.kernel.money import Money
from schema.kernel.time import utcnow
from schema.payments import worklist
from schema.payments.collections import PAYMENTS
from schema.payments.lifecycle import take_operation
from schema.payments.providers import provider_named
from schema.payments.status import PAYER, RESOURCE
from schema.wallet import refund_to_wallet

Document = dict[str, Any]
Result = dict[str, Any]
ORDER = ("EXTERNAL", "STORED_VALUE", "POINTS")
FIELD = ("input", "paymentId")


class _Exceeds(Exception):
    def __init__(self, left: int) -> None:
        super().__init__("refund exceeds payment")
        self.left = left


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """``RefundPaymentInput``, its payment id already well-formed."""

    payment_id: str
    amount: Money
    reason: str | None


def result(refund_id: str | None, payment_id: str | None, *errors: UserError) -> Result:
    return {"refundId": refund_id, "paymentId": payment_id,
            "userErrors": [e.to_dict() for e in errors]}


def _portion(payment: Document, method: str) -> Document | None:
    return next((p for p in payment["portions"] if p["method"] == method), None)


def split(payment: Document, amount: int) -> Document:
    """How ``amount`` more of refunds divides over the methods (external first), and the
    whole points it gives back."""
    done = payment.get("refunded", {})
    parts: Document = {}
    remaining = amount
    for method in ORDER:
        portion = _portion(payment, method)
        room = portion["amount"] - done.get(method, 0) if portion else 0
        parts[method] = min(room, remaining)
        remaining -= parts[method]
    points = _portion(payment, "POINTS")
    parts["points"] = 0
    if points is not None and parts["POINTS"]:
        money_after = done.get("POINTS", 0) + parts["POINTS"]
        points_after = (points["points"] if money_after == points["amount"]
                        else points["points"] * money_after // points["amount"])
        parts["points"] = points_after - done.get("points", 0)
    return parts


def refund_problem(payment: Document, request: RefundRequest) -> UserError | None:
    """Why the refund cannot be made at all (before looking at earlier refunds)."""
    if request.amount.amount <= 0:
        return UserError(UserErrorCode.INVALID, "amount must be positive",
                         ("input", "amount", "amount"))
    if request.amount.currency != payment["currency"]:
        return UserError(UserErrorCode.CURRENCY_MISMATCH,
                         f"the payment is in {payment['currency']}",
                         ("input", "amount", "currency"))
    if payment["purpose"] == "TOP_UP":
        return UserError(UserErrorCode.INVALID, "a top-up is not refunded: the stored value "
                         "it credited is the member's to spend", FIELD)
    if payment["status"] != "SUCCEEDED":
        return UserError(UserErrorCode.INVALID,
                         f"only a SUCCEEDED payment is refunded; this one is "
                         f"{payment['status']}", FIELD)
    return None


async def refund_payment(db: AsyncDatabase, payment: Document, request: RefundRequest,
                         operation_id: str) -> Result:
    """Run ``refundPayment`` as operation ``operation_id`` on ``payment`` (the caller's)."""
    refund_id = stable_id("ref", operation_id)
    if not any(r["id"] == refund_id for r in payment["refunds"]):
        problem = refund_problem(payment, request)
        if problem is not None:
            return result(None, payment["_id"], problem)
        await worklist.open_work(db, refund_id, payment["_id"], utcnow() + worklist.LEASE)
        try:
            payment = await _reserve(db, payment["_id"], refund_id, request,
                                     operation_id)
        except _Exceeds as exceeds:
            await worklist.close_work(db, refund_id)
            return result(None, payment["_id"], UserError(
                UserErrorCode.REFUND_EXCEEDS_PAYMENT,
                f"at most {exceeds.left} of the payment is left to refund",
                ("input", "amount", "amount")))
        except Contended:
            await worklist.close_work(db, refund_id)
            return result(None, payment["_id"], UserError(
                UserErrorCode.CONFLICT, "the payment is busy with other refunds; retry with "
                "a new idempotency key", FIELD))
    await complete_refund(db, payment, refund_id)
    return result(refund_id, payment["_id"])


async def _reserve(db: AsyncDatabase, payment_id: str, refund_id: str,
                   request: RefundRequest, operation_id: str) -> Document:
    def change(current: Document | None) -> Document | None:
        if current is None or any(r["id"] == refund_id for r in current["refunds"]):
            return None
        reserved = sum(r["amount"] for r in current["refunds"] if r["status"] != "FAILED")
        left = current["amount"] - reserved
        if request.amount.amount > left:
            raise _Exceeds(left)
        parts = split(current, request.amount.amount)
        done = current.get("refunded", {})
        refunded = {k: done.get(k, 0) + parts[k] for k in (*ORDER, "points")}
        now = utcnow()
        refund = {"id": refund_id, "amount": request.amount.amount, "reason": request.reason,
                  "status": "PENDING", "split": parts, "operationId": operation_id,
                  "createdAt": now, "succeededAt": None}
        return {**current, "refunds": [*current["refunds"], refund], "refunded": refunded,
                "updatedAt": now}

    await update_claimed(db[PAYMENTS], db, payment_id, change)
    found = await db[PAYMENTS].find_one({"_id": payment_id})
    assert found is not None
    return found


async def complete_refund(db: AsyncDatabase, payment: Document, refund_id: str) -> None:
    """Move a reserved refund's money (each part once) and mark it SUCCEEDED."""
    refund = next((r for r in payment["refunds"] if r["id"] == refund_id), None)
    if refund is not None and refund["status"] == "PENDING":
        parts = refund["split"]
        if parts["EXTERNAL"]:
            await provider_named(payment["provider"]).refund(payment, refund_id,
                                                             parts["EXTERNAL"])
        if parts["STORED_VALUE"] or parts["points"]:
            await refund_to_wallet(
db, payment["memberId"], f"{refund['operationId']}:refund",
taken_operation_id=take_operation(payment), stored_value=parts["STORED_VALUE"],
points=parts["points"], reference=payment["_id"])
        await _succeed(db, payment["_id"], refund_id)
    await worklist.close_work(db, refund_id)


async def _succeed(db: AsyncDatabase, payment_id: str, refund_id: str) -> None:
    def change(current: Document | None) -> Document | None:
        refund = next((r for r in (current or {}).get("refunds", []) if r["id"] == refund_id),
                      None)
        if current is None or refund is None or refund["status"] != "PENDING":
            return None
        now = utcnow()
        refunds = [{**r, "status": "SUCCEEDED", "succeededAt": now} if r["id"] == refund_id
                   else r for r in current["refunds"]]
        refunded = current["amountRefunded"] + refund["amount"]
        data = {"paymentId": payment_id, "refundId": refund_id, "reason": refund["reason"],
                "amount": {"amount": refund["amount"], "currency": current["currency"]},
                "amountRefunded": {"amount": refunded, "currency": current["currency"]}}
        return {**current, "refunds": refunds, "amountRefunded": refunded, "updatedAt": now,
                **append_event(current, "payment.refunded", current["merchantId"], RESOURCE,
                               payment_id, data, now, also_for=[current.get(PAYER)])}

    marker = [pending_marker(PAYMENTS, payment_id)]
    await mark_pending(db, marker)
    if await update_claimed(db[PAYMENTS], db, payment_id, change) is not None:
        await mark_pending(db, marker)
