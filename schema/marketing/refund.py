"""``refundVoucher``: an unused, unexpired voucher is refunded, and with it its share of the
payment (the deal's price), through payments' own refund (:mod:`schema.payments.refunds`).

The voucher becomes REFUNDED first, in one claimed write that decides from its status (so a
redemption racing it either came first, VOUCHER_ALREADY_REDEEMED, or finds it REFUNDED); then
the money moves as a refund named after this operation, which payments applies once, so a
retry with the same key finishes the same refund. A refund payments refuses puts the voucher
back to ISSUED. Until its money has moved the voucher carries ``refundPending``; a writer
that died in between leaves it, and :func:`sweep_unfinished_refunds` finishes the same
refund.
"""

from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.money import Money
from schema.kernel.principal import Principal
from schema.kernel.time import as_utc, to_iso, utcnow
from schema.marketing.collections import VOUCHERS
from schema.marketing.redeem import result
from schema.marketing.vouchers import get_voucher, settle
from schema.payments import refunds
from schema.payments.read import get_payment

Document = dict[str, Any]
Result = dict[str, Any]
FIELD = ("input", "voucherId")
SETTLE_AFTER = timedelta(minutes=2)


def _refusal(voucher: Document, now: Any) -> UserError | None:
    if voucher["status"] == "REDEEMED":
        return UserError(UserErrorCode.VOUCHER_ALREADY_REDEEMED, "a used voucher is not "
                         "refunded", FIELD)
    if voucher["status"] == "REFUNDED":
        return UserError(UserErrorCode.VOUCHER_REFUNDED, "already refunded", FIELD)
    if voucher["status"] == "EXPIRED" or as_utc(voucher["expiresAt"]) <= now:
        return UserError(UserErrorCode.VOUCHER_EXPIRED,
                         f"expired at {to_iso(voucher['expiresAt'])}", FIELD)
    return None


async def _mark(db: AsyncDatabase, voucher_id: str, operation_id: str) -> UserError | None:
    refused: UserError | None = None

    def change(current: Document | None) -> Document | None:
        nonlocal refused
        refused = None
        if current is None or current.get("refundOp") == operation_id:
            return None
        now = utcnow()
        refused = _refusal(current, now)
        if refused is not None:
            return None
        return {**current, "status": "REFUNDED", "refundedAt": now, "refundOp": operation_id,
                "refundPending": True}

    await update_claimed(db[VOUCHERS], db, voucher_id, change)
    return refused


async def _unmark(db: AsyncDatabase, voucher_id: str, operation_id: str) -> None:
    def change(current: Document | None) -> Document | None:
        if current is None or current.get("refundOp") != operation_id:
            return None
        return {**current, "status": "ISSUED", "refundedAt": None, "refundOp": None,
                "refundPending": False}

    await update_claimed(db[VOUCHERS], db, voucher_id, change)


async def _due(db: AsyncDatabase, voucher_id: str) -> Document | None:
    """The money moved: the refund's figures become due (once) and nothing is pending."""
    def change(current: Document | None) -> Document | None:
        if current is None or not current.get("refundPending"):
            return None
        return {**current, "statsDue": [*current.get("statsDue", []), "refund"],
                "refundPending": False}

    await update_claimed(db[VOUCHERS], db, voucher_id, change)
    return await get_voucher(db, voucher_id)


async def finish_refund(db: AsyncDatabase, voucher: Document) -> list[Document]:
    """Move the money of the voucher's refund (named by its ``refundOp``, so once) and
    count it; the userErrors of a refund payments refused (the voucher is ISSUED again)."""
    operation_id = voucher["refundOp"]
    payment = await get_payment(db, voucher["paymentId"])
    assert payment is not None, f"voucher {voucher['_id']} without its payment"
    price = Money.from_document(voucher["price"])
    refunded = await refunds.refund_payment(
        db, payment, refunds.RefundRequest(payment["_id"], price,
                                           f"voucher {voucher['_id']}"), operation_id)
    if refunded["userErrors"]:
        await _unmark(db, voucher["_id"], operation_id)
        return list(refunded["userErrors"])
    current = await _due(db, voucher["_id"])
    if current is not None:
        await settle(db, current)
    return []


async def sweep_unfinished_refunds(db: AsyncDatabase) -> int:
    """Finish refunds whose writer died before the money moved (a sweep: a scan on
    FerretDB v1); those younger than :data:`SETTLE_AFTER` are still their writer's."""
    finished = 0
    started_before = utcnow() - SETTLE_AFTER
    async for voucher in db[VOUCHERS].find({"refundPending": True,
                                            "refundedAt": {"$lt": started_before}}):
        await finish_refund(db, voucher)
        finished += 1
    return finished


async def refund_voucher(db: AsyncDatabase, principal: Principal, voucher_id: str,
                         operation_id: str) -> Result:
    """Run ``refundVoucher`` as operation ``operation_id``."""
    voucher = await get_voucher(db, voucher_id)
    if voucher is None or principal.member_id is not None \
            or not principal.owns(voucher["partnerId"]):
        return result(None, UserError(UserErrorCode.NOT_FOUND, "no voucher of yours with that "
                                      "id", FIELD))
    refused = await _mark(db, voucher_id, operation_id)
    if refused is not None:
        return result(None, refused)
    marked = await get_voucher(db, voucher_id)
    assert marked is not None
    if marked.get("refundPending"):
        errors = await finish_refund(db, marked)
        if errors:
            return {"voucherId": None, "userErrors": errors}
    return result(voucher_id)
