"""What happens to a payment after it is created, step by idempotent step.

- :func:`complete`: a paid payment (PROCESSING) takes its balance portions if that has not
  happened yet, credits a top-up, becomes SUCCEEDED;
- :func:`end`: a payment that did not complete becomes FAILED or CANCELED;
- :func:`finish`: once final, the balance portions of a payment that did not complete are
  given back (a compensation, once: the wallet applies the give-back's operation id once),
  other subgraphs hear the outcome (:mod:`schema.kernel.outcomes`), and the payment leaves
  the work list;
- :func:`carry_on`: what the work-list job (:mod:`schema.payments.jobs`) does with a payment
  a dead process left, or one that waited 15 minutes for its external portion (canceled).

Wallet operations are named after the payment's operation id (the one its idempotency key is
bound to): ``<op>:take``, ``<op>:giveback``, ``<op>:credit``; whoever runs a step, the creator,
a retry, the notification or the job, runs the same operation.
"""

import logging
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.outcomes import PaymentOutcome, announce
from schema.kernel.time import utcnow
from schema.membership.relationships import record_relationship
from schema.payments import worklist
from schema.payments.providers import provider_named
from schema.payments.status import FINAL, Moved, advance
from schema.wallet import WalletRefused, credit, give_back, take

Document = dict[str, Any]
_log = logging.getLogger("loopgate.payments")


def take_operation(payment: Document) -> str:
    return f"{payment['operationId']}:take"


def balance_of(payment: Document) -> tuple[int, int]:
    """(points, stored value) the payment's balance portions take."""
    points = sum(p["points"] or 0 for p in payment["portions"] if p["method"] == "POINTS")
    value = sum(p["amount"] for p in payment["portions"] if p["method"] == "STORED_VALUE")
    return points, value


def external_of(payment: Document) -> int:
    return sum(p["amount"] for p in payment["portions"] if p["method"] == "EXTERNAL")


async def take_balance(db: AsyncDatabase, payment: Document) -> None:
    """Take the payment's balance portions (a repeat takes nothing more), waiting its turn at
    a busy wallet; raises :class:`WalletRefused` when the wallet is short,
    :class:`schema.kernel.claims.Contended` when it stayed busy."""
    points, value = balance_of(payment)
    if points + value:
        await take(db, payment["memberId"], take_operation(payment),
                   merchant_id=payment["merchantId"], points=points,
                   stored_value=value, reference=payment["_id"])


async def complete(db: AsyncDatabase, payment: Document) -> Document:
    """Carry a PROCESSING payment to SUCCEEDED (or FAILED when its balance portions cannot be
    taken; an external part already paid is then refunded) and finish it; a payment already
    final is only finished. Returns it as it ends."""
    if payment["status"] != "PROCESSING":
        return await finish(db, payment)
    try:
        await take_balance(db, payment)
    except WalletRefused as refused:
        ended = await end(db, payment["_id"], "FAILED", f"{refused.code}: {refused.message}")
        if ended.moved and external_of(payment):
            await provider_named(payment["provider"]).refund(payment, payment["_id"],
                                                             external_of(payment))
        return await finish(db, ended.payment)
    if payment["purpose"] == "TOP_UP":
        await credit(db, payment["memberId"],
                     f"{payment['operationId']}:credit",
                     amount=payment["amount"], kind="TOP_UP",
                     reference=payment["_id"],
                     merchant_id=payment["merchantId"])
    if payment.get("memberId"):   # a payment there makes the member known to the merchant
        await record_relationship(db, payment["merchantId"], payment["memberId"])
    moved = await advance(db, payment["_id"], "SUCCEEDED")
    return await finish(db, moved.payment)


async def end(db: AsyncDatabase, payment_id: str, status: str, reason: str) -> Moved:
    """Make the payment FAILED or CANCELED if it may still be; the balance goes back in
    :func:`finish`."""
    return await advance(db, payment_id, status, failureReason=reason)


async def finish(db: AsyncDatabase, payment: Document) -> Document:
    """The final steps of a payment in a final status (nothing for one still open)."""
    if payment["status"] not in FINAL:
        return payment
    if payment["status"] != "SUCCEEDED" and payment.get("memberId"):
        await give_back(db, payment["memberId"],
                        f"{payment['operationId']}:giveback",
                        taken_operation_id=take_operation(payment))
    try:
        await announce(db, outcome_of(payment))
    except Exception:
        _log.exception("payment %s: an outcome handler failed; the job calls it again",
                       payment["_id"])
        await worklist.postpone(db, payment["_id"])
        return payment
    await worklist.close_work(db, payment["_id"])
    return payment


def outcome_of(payment: Document) -> PaymentOutcome:
    return PaymentOutcome(
        payment_id=payment["_id"], purpose=payment["purpose"], status=payment["status"],
        merchant_id=payment["merchantId"], member_id=payment.get("memberId"),
        order_id=payment.get("orderId"), amount=payment["amount"],
        currency=payment["currency"], occurred_at=payment.get("finishedAt") or utcnow())


async def carry_on(db: AsyncDatabase, payment: Document) -> Document:
    """One step of the job for a payment past its due time: cancel it while it waits for the
    external portion, complete it when paid, finish it when final."""
    if payment["status"] == "REQUIRES_PAYMENT":
        ended = await end(db, payment["_id"], "CANCELED",
                          "the external portion was not paid within 15 minutes")
        payment = ended.payment   # or paid meanwhile: then it is completed
    return await complete(db, payment)
