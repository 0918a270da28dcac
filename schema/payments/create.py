"""Creating a payment (``createPayment``) or a top-up (``topUpStoredValue``).

The request's idempotency key is bound to an operation id before this runs
(:func:`schema.kernel.idempotency.run_once`), and everything here is named after it: the
payment's id (``stable_id("pay", op)``) and the wallet operations
(:mod:`schema.payments.lifecycle`). A retry after a crash therefore finds the same payment
and carries it on from where it stopped; no step moves money twice.

Order of steps: the payment document, then its work-list entry, then the balance portions
taken (all together or not at all: one wallet write), then, with an EXTERNAL portion, the
provider's next action (the payment waits in REQUIRES_PAYMENT); without one it completes at
once. A payment whose balance cannot be taken ends FAILED and the caller gets the wallet's
userError.
"""

from dataclasses import dataclass, replace
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.claims import Contended
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import stable_id
from schema.kernel.money import Money
from schema.kernel.sandbox import is_sandbox
from schema.kernel.time import utcnow
from schema.membership.earn_rules import get_rule
from schema.membership.members import get_member
from schema.membership.relationships import has_relationship
from schema.orders.read import payable_order
from schema.payments import worklist
from schema.payments.collections import PAYMENTS
from schema.payments.lifecycle import complete, end, finish, take_balance
from schema.payments.portions import Plan, PortionRequest, plan_payment
from schema.payments.providers import DEFAULT_PROVIDER, provider_named
from schema.payments.status import FINAL, PAYER, revise
from schema.wallet import CURRENCY as WALLET_CURRENCY
from schema.wallet import WalletRefused

Document = dict[str, Any]
Result = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who creates the payment: the merchant (the token's partner), the app, and the member
    when it is a member's own token."""

    merchant_id: str
    client_id: str
    member_id: str | None = None
    partner_id: str | None = None
    """The partner whose app makes the payment (another than the merchant when a deal is
    bought through its app): it gets copies of the payment's events."""


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """``CreatePaymentInput``, its ids already well-formed."""

    purpose: str
    member_id: str | None
    order_id: str | None
    amount: Money | None
    portions: list[PortionRequest]


def result(payment_id: str | None, *errors: UserError) -> Result:
    """What the mutation returns (and its idempotency key remembers)."""
    return {"paymentId": payment_id, "userErrors": [e.to_dict() for e in errors]}


def payment_id_for(operation_id: str) -> str:
    return stable_id("pay", operation_id)


async def create_payment(db: AsyncDatabase, caller: Caller, request: PaymentRequest,
                         operation_id: str) -> Result:
    """Run ``createPayment`` as operation ``operation_id``."""
    existing = await db[PAYMENTS].find_one({"_id": payment_id_for(operation_id)})
    if existing is not None:
        return await _proceed(db, existing)
    if request.order_id is not None:
        checked = await _for_order(db, caller, request)
        if isinstance(checked, UserError):
            return result(None, checked)
        request = checked
    if request.purpose == "TOP_UP":
        return result(None, UserError(UserErrorCode.INVALID,
                                      "top-ups are made with topUpStoredValue",
                                      ("input", "purpose")))
    if request.member_id is not None and await get_member(db, request.member_id) is None:
        return result(None, UserError(UserErrorCode.NOT_FOUND, "no such member",
                                      ("input", "memberId")))
    point_value = None
    if any(p.method == "POINTS" for p in request.portions):
        rule = await get_rule(db, caller.merchant_id)
        point_value = Money.from_document(rule["pointValue"]) if rule else None
    plan, errors = plan_payment(request.amount, request.portions, point_value=point_value,
                                has_member=request.member_id is not None)
    if plan is None:
        return result(None, *errors)
    if plan.takes_balance and not await _may_take(db, caller, request.member_id):
        return result(None, UserError(
            UserErrorCode.FORBIDDEN, "the member is not known to you: register them "
            "(registerMember with their phone) or let them pay with their own token",
            ("input", "memberId")))
    return await _start(db, caller, request.purpose, request.member_id, plan, operation_id,
                        order_id=request.order_id)


async def _for_order(db: AsyncDatabase, caller: Caller,
                     request: PaymentRequest) -> PaymentRequest | UserError:
    """An ORDER payment of one of the caller's orders awaiting payment: its amount is the
    order's total (given or not) and its member the order's (read through orders' own read
    function, :func:`schema.orders.read.payable_order`)."""
    assert request.order_id is not None
    order = await payable_order(db, request.order_id)
    if order is None or order.merchant_id != caller.merchant_id:
        return UserError(UserErrorCode.NOT_FOUND, "no such order", ("input", "orderId"))
    if request.purpose != "ORDER":
        return UserError(UserErrorCode.INVALID, "an order is paid with purpose ORDER",
                         ("input", "purpose"))
    if not order.awaiting_payment:
        return UserError(UserErrorCode.INVALID, "the order is not awaiting payment",
                         ("input", "orderId"))
    total = Money(order.amount, order.currency)
    if request.amount is not None and request.amount != total:
        return UserError(UserErrorCode.INVALID, f"the order's total is {order.amount} "
                         f"{order.currency} (minor units)", ("input", "amount"))
    if request.member_id not in (None, order.member_id):
        return UserError(UserErrorCode.INVALID, "the order is another member's",
                         ("input", "memberId"))
    return replace(request, amount=total, member_id=order.member_id)


async def _may_take(db: AsyncDatabase, caller: Caller, member_id: str | None) -> bool:
    """Whether the caller may take the member's balance: the member's own token, or a
    merchant the member already deals with (registration, earning, an earlier payment)."""
    return member_id is not None and (caller.member_id == member_id or await has_relationship(
        db, caller.merchant_id, member_id))


async def top_up(db: AsyncDatabase, caller: Caller, member_id: str, amount: Money,
                 operation_id: str) -> Result:
    """Run ``topUpStoredValue`` as operation ``operation_id``: a TOP_UP payment paid
    externally, crediting the member's stored value when it succeeds."""
    existing = await db[PAYMENTS].find_one({"_id": payment_id_for(operation_id)})
    if existing is not None:
        return await _proceed(db, existing)
    if amount.amount <= 0:
        return result(None, UserError(UserErrorCode.INVALID, "amount must be positive",
                                      ("input", "amount", "amount")))
    if amount.currency != WALLET_CURRENCY:
        return result(None, UserError(UserErrorCode.CURRENCY_MISMATCH,
                                      f"stored value is kept in {WALLET_CURRENCY}",
                                      ("input", "amount", "currency")))
    if await get_member(db, member_id) is None:
        return result(None, UserError(UserErrorCode.NOT_FOUND, "no such member",
                                      ("input", "memberId")))
    plan = Plan(amount.amount, amount.currency,
                [{"method": "EXTERNAL", "amount": amount.amount, "points": None}])
    return await _start(db, caller, "TOP_UP", member_id, plan, operation_id,
                        refusal_field=("input", "amount"))


async def _start(db: AsyncDatabase, caller: Caller, purpose: str, member_id: str | None,
                 plan: Plan, operation_id: str,
                 refusal_field: tuple[str, ...] | None = None,
                 order_id: str | None = None) -> Result:
    if plan.external:
        refused = provider_named(DEFAULT_PROVIDER).refusal(sandbox=is_sandbox(db))
        if refused is not None:
            index = next(i for i, p in enumerate(plan.portions) if p["method"] == "EXTERNAL")
            return result(None, UserError(UserErrorCode.FORBIDDEN, refused, refusal_field
                                          or ("input", "portions", str(index), "method")))
    payment = await _insert(db, {**_document(caller, purpose, member_id, plan, operation_id),
                                 "orderId": order_id})
    return await _proceed(db, payment)


def _document(caller: Caller, purpose: str, member_id: str | None, plan: Plan,
              operation_id: str) -> Document:
    now = utcnow()
    return {"_id": payment_id_for(operation_id), "merchantId": caller.merchant_id,
            "clientId": caller.client_id, PAYER: caller.partner_id, "memberId": member_id,
            "purpose": purpose,
            "orderId": None, "amount": plan.amount, "currency": plan.currency,
            "portions": plan.portions,
            "status": "REQUIRES_PAYMENT" if plan.external else "PROCESSING",
            "provider": DEFAULT_PROVIDER if plan.external else None, "nextAction": None,
            "operationId": operation_id, "refunds": [], "refunded": {}, "amountRefunded": 0,
            "failureReason": None, "createdAt": now, "updatedAt": now, "succeededAt": None,
            "finishedAt": None}


async def _insert(db: AsyncDatabase, payment: Document) -> Document:
    """Put the new payment on the work list, then insert it; a retry finds the first one.

    The entry goes first: a process that dies before the insert leaves an entry the job
    drops once due (nothing had moved), never a payment the job cannot find."""
    wait = worklist.AWAIT_EXTERNAL if payment["status"] == "REQUIRES_PAYMENT" else worklist.LEASE
    await worklist.open_work(db, payment["_id"], payment["_id"], payment["createdAt"] + wait)
    try:
        await db[PAYMENTS].insert_one(payment)
    except DuplicateKeyError:
        found = await db[PAYMENTS].find_one({"_id": payment["_id"]})
        if found is None:
            raise RuntimeError(f"payment {payment['_id']} vanished") from None
        payment = found
    return payment


async def _proceed(db: AsyncDatabase, payment: Document) -> Result:
    """Carry the payment on from its status: take the balance, then wait for the external
    portion or complete; report a final payment as it ended."""
    if payment["status"] in FINAL:
        await finish(db, payment)
        return result(payment["_id"])
    try:
        await take_balance(db, payment)
    except WalletRefused as refused:
        ended = await end(db, payment["_id"], "FAILED", f"{refused.code}: {refused.message}")
        await finish(db, ended.payment)
        return result(None, UserError(refused.code, refused.message, ("input", "portions")))
    except Contended:
        ended = await end(db, payment["_id"], "FAILED", "the wallet was too busy")
        await finish(db, ended.payment)
        return result(None, UserError(UserErrorCode.CONFLICT, "the member's wallet is busy; "
                                      "retry with a new idempotency key", ("input", "memberId")))
    if payment["status"] == "PROCESSING":
        await complete(db, payment)
        return result(payment["_id"])
    current = await db[PAYMENTS].find_one({"_id": payment["_id"]})
    if current is None or current["status"] != "REQUIRES_PAYMENT":
        if current is not None:
            await finish(db, current)   # canceled meanwhile: the balance goes back
        return result(payment["_id"])
    provider = provider_named(payment["provider"])
    action = await provider.start(payment, sum(p["amount"] for p in payment["portions"]
                                               if p["method"] == "EXTERNAL"))
    await revise(db, payment["_id"], nextAction=action.to_document())
    return result(payment["_id"])
