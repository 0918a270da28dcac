"""The payments subgraph: ``Payment @key(id)``, refunds, top-ups and settlements.

Mutations run under the caller's idempotency key (:func:`schema.kernel.idempotency.run_once`),
bound to an operation id before anything moves; business refusals are results, kept with the
key, so a retry gets the same answer.
"""

from datetime import date
from typing import Annotated, Any

import strawberry

from schema.kernel.claims import sweep_claims
from schema.kernel.context import SubgraphContext, make_context
from schema.kernel.errors import (
    ErrorCode,
    UserError,
    UserErrorCode,
    bad_user_input,
    graphql_error,
    id_argument,
)
from schema.kernel.events import INDEXES as EVENT_INDEXES
from schema.kernel.events import relay_outboxes, sweep_events
from schema.kernel.graphql_types import MoneyInput, schema_config
from schema.kernel.graphql_types import UserError as UserErrorType
from schema.kernel.idempotency import INDEXES as IDEMPOTENCY_INDEXES
from schema.kernel.idempotency import Refuse, run_once, sweep_expired
from schema.kernel.money import Money as KernelMoney
from schema.kernel.principal import Principal
from schema.kernel.subgraph import Subgraph
from schema.payments import create, refunds
from schema.payments.access import may_change, may_see
from schema.payments.collections import INDEXES, PAYMENTS
from schema.payments.inputs import (
    CancelPaymentInput,
    CreatePaymentInput,
    RefundPaymentInput,
    TopUpInput,
)
from schema.payments.jobs import ensure_provider_secrets, sweep_notifications, work_open
from schema.payments.lifecycle import end, finish
from schema.payments.portions import PortionRequest
from schema.payments.settlements import MAX_DAYS, settlements
from schema.payments.types import (
    READ,
    Payment,
    PaymentPayload,
    Refund,
    RefundPayload,
    Settlement,
    visible_payment,
)
from schema.wallet import WALLET

Result = dict[str, Any]


def _money(value: MoneyInput | None) -> KernelMoney | None:
    if value is None:
        return None
    try:
        return KernelMoney(value.amount, value.currency)
    except ValueError as exc:
        raise bad_user_input(str(exc), argument="input") from exc


def _plain(value: MoneyInput | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": value.amount, "currency": value.currency}


def _errors(result: Result) -> list[UserErrorType]:
    return [UserErrorType(code=e["code"], field=e["field"], message=e["message"])
            for e in result["userErrors"]]


def _refusal(key: str) -> Refuse:
    def refuse(error: UserError) -> Result:
        return {key: None, "userErrors": [error.to_dict()]}
    return refuse


async def _payload(context: SubgraphContext, result: Result) -> PaymentPayload:
    doc = (await context.db[PAYMENTS].find_one({"_id": result["paymentId"]})
           if result.get("paymentId") else None)
    return PaymentPayload(payment=Payment.from_document(doc) if doc else None,
                          user_errors=_errors(result))


def _member_of(principal: Principal, member_id: strawberry.ID | None) -> str | None:
    """The paying member: the input's, which a member token may only name as itself."""
    given = id_argument(member_id, "mem", "memberId") if member_id is not None else None
    if principal.member_id is not None and given not in (None, principal.member_id):
        raise graphql_error("a member's token pays only as that member", ErrorCode.FORBIDDEN)
    return given or principal.member_id


def _caller(principal: Principal) -> create.Caller:
    return create.Caller(merchant_id=principal.require_partner(),
                         client_id=principal.client_id, member_id=principal.member_id,
                         partner_id=principal.partner_id)


@strawberry.type
class Query:
    @strawberry.federation.field(requires_scopes=READ, description="A payment by id: for its "
                                 "merchant, the paying member's token and the app that "
                                 "created it (others: null with FORBIDDEN).")
    async def payment(self, info: strawberry.Info, id: strawberry.ID) -> Payment | None:
        context: SubgraphContext = info.context
        context.require("payments:read")
        return await visible_payment(context, id_argument(id, "pay", "id"))

    @strawberry.federation.field(requires_scopes=READ, description="The caller's settlements "
                                 "per Asia/Shanghai day from `from` to `to` (both included, at "
                                 f"most {MAX_DAYS} days); merchantId: another merchant's, for "
                                 "platform:admin only.")
    async def settlements(self, info: strawberry.Info,
                          from_: Annotated[date, strawberry.argument(name="from")],
                          to: date, merchant_id: strawberry.ID | None = None,
                          ) -> list[Settlement]:
        context: SubgraphContext = info.context
        principal = context.require("payments:read")
        if principal.member_id is not None:
            raise graphql_error("settlements are a merchant's; a member's token has none",
                                ErrorCode.FORBIDDEN)
        if merchant_id is not None and not principal.is_admin:
            raise graphql_error("merchantId is for platform:admin only; leave it out for your "
                                "own settlements", ErrorCode.FORBIDDEN)
        merchant = (id_argument(merchant_id, "ptn", "merchantId") if merchant_id is not None
                    else principal.require_partner())
        if to < from_ or (to - from_).days >= MAX_DAYS:
            raise bad_user_input(f"from must not be after to, and the range at most {MAX_DAYS} "
                                 "days", argument="to")
        lines = await settlements(context.db, merchant, from_, to)
        return [Settlement.of(line) for line in lines]


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        requires_scopes=[["payments:write"]],
        description="Pay the caller's merchant: balance portions (STORED_VALUE, POINTS) are "
                    "taken at once, all or none; with an EXTERNAL portion the payment waits in "
                    "REQUIRES_PAYMENT (see nextAction) for the provider's outcome, else it "
                    "succeeds at once. Idempotent by key.")
    async def create_payment(self, info: strawberry.Info,
                             input: CreatePaymentInput) -> PaymentPayload:
        context: SubgraphContext = info.context
        principal = context.require("payments:write")
        caller = _caller(principal)
        request = create.PaymentRequest(
            purpose=input.purpose.value, member_id=_member_of(principal, input.member_id),
            order_id=id_argument(input.order_id, "ord", "orderId") if input.order_id else None,
            amount=_money(input.amount),
            portions=[PortionRequest(p.method.value, _money(p.amount), p.points)
                      for p in input.portions])
        body = {"purpose": request.purpose, "memberId": request.member_id,
                "orderId": request.order_id, "amount": _plain(input.amount),
                "portions": [{"method": p.method.value, "amount": _plain(p.amount),
                              "points": p.points} for p in input.portions]}

        async def run(operation_id: str) -> Result:
            return await create.create_payment(context.db, caller, request, operation_id)

        result = await run_once(context.db, caller.merchant_id, "createPayment",
                                input.idempotency_key, body, run, _refusal("paymentId"))
        return await _payload(context, result)

    @strawberry.federation.mutation(
        requires_scopes=[["payments:write"]],
        description="Top up a member's stored value: a TOP_UP payment paid externally; the "
                    "balance is credited only when it succeeds. Idempotent by key.")
    async def top_up_stored_value(self, info: strawberry.Info,
                                  input: TopUpInput) -> PaymentPayload:
        context: SubgraphContext = info.context
        principal = context.require("payments:write")
        caller = _caller(principal)
        member_id = _member_of(principal, input.member_id)
        assert member_id is not None
        amount = _money(input.amount)
        assert amount is not None

        async def run(operation_id: str) -> Result:
            return await create.top_up(context.db, caller, member_id, amount, operation_id)

        body = {"memberId": member_id, "amount": _plain(input.amount)}
        result = await run_once(context.db, caller.merchant_id, "topUpStoredValue",
                                input.idempotency_key, body, run, _refusal("paymentId"))
        return await _payload(context, result)

    @strawberry.federation.mutation(
        requires_scopes=[["payments:write"]],
        description="Cancel one of the caller's payments still waiting for its external "
                    "portion (REQUIRES_PAYMENT); its balance portions go back to the member. "
                    "Any other status: ILLEGAL_TRANSITION.")
    async def cancel_payment(self, info: strawberry.Info,
                             input: CancelPaymentInput) -> PaymentPayload:
        context: SubgraphContext = info.context
        principal = context.require("payments:write")
        partner_id = principal.require_partner()
        payment_id = id_argument(input.payment_id, "pay", "paymentId")

        async def run(_operation_id: str) -> Result:
            return await _cancel(context, principal, payment_id)

        result = await run_once(context.db, partner_id, "cancelPayment", input.idempotency_key,
                                {"paymentId": payment_id}, run, _refusal("paymentId"))
        return await _payload(context, result)

    @strawberry.federation.mutation(
        requires_scopes=[["refunds:write"]],
        description="Refund part or all of one of the caller's SUCCEEDED payments; refunds "
                    "never add up to more than the amount (REFUND_EXCEEDS_PAYMENT). Money goes "
                    "back to where it came from: external first, then stored value, then "
                    "points. Idempotent by key.")
    async def refund_payment(self, info: strawberry.Info,
                             input: RefundPaymentInput) -> RefundPayload:
        context: SubgraphContext = info.context
        principal = context.require("refunds:write")
        partner_id = principal.require_partner()
        payment_id = id_argument(input.payment_id, "pay", "paymentId")
        amount = _money(input.amount)
        assert amount is not None
        request = refunds.RefundRequest(payment_id, amount, input.reason)

        async def run(operation_id: str) -> Result:
            payment = await context.db[PAYMENTS].find_one({"_id": payment_id})
            problem = _not_changeable(principal, payment)
            if problem is not None:
                return refunds.result(None, None, problem)
            assert payment is not None
            return await refunds.refund_payment(context.db, payment, request, operation_id)

        body = {"paymentId": payment_id, "amount": _plain(input.amount), "reason": input.reason}
        result = await run_once(context.db, partner_id, "refundPayment", input.idempotency_key,
                                body, run, _refusal("refundId"))
        doc = (await context.db[PAYMENTS].find_one({"_id": result["paymentId"]})
               if result.get("paymentId") else None)
        refund = next((r for r in (doc or {}).get("refunds", [])
                       if r["id"] == result.get("refundId")), None)
        return RefundPayload(
            refund=Refund.from_document(refund, doc["currency"]) if refund and doc else None,
            payment=Payment.from_document(doc) if doc and may_see(principal, doc) else None,
            user_errors=_errors(result))


def _not_changeable(principal: Principal, payment: dict[str, Any] | None) -> UserError | None:
    field = ("input", "paymentId")
    if payment is None:
        return UserError(UserErrorCode.NOT_FOUND, "no such payment", field)
    if not may_change(principal, payment):
        return UserError(UserErrorCode.FORBIDDEN, "the payment is another merchant's", field)
    return None


async def _cancel(context: SubgraphContext, principal: Principal, payment_id: str) -> Result:
    payment = await context.db[PAYMENTS].find_one({"_id": payment_id})
    problem = _not_changeable(principal, payment)
    if problem is not None:
        return create.result(None, problem)
    ended = await end(context.db, payment_id, "CANCELED", "canceled by the merchant")
    await finish(context.db, ended.payment)
    if ended.payment["status"] != "CANCELED":
        return create.result(None, UserError(
            UserErrorCode.ILLEGAL_TRANSITION,
            f"only a payment waiting for its external portion can be canceled; this one is "
            f"{ended.payment['status']}", ("input", "paymentId")))
    return create.result(payment_id)


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Payment],
                                      config=schema_config())

# The provider secrets are made on the first round; work_open carries on unfinished payments
# and refunds (and cancels those that waited 15 minutes for their external portion); the
# relay moves payment events; wallet entries a dead writer left in an account are posted by
# the wallet's owner (membership).
SUBGRAPH = Subgraph(name="payments", schema=schema,
                    indexes=INDEXES + EVENT_INDEXES + IDEMPOTENCY_INDEXES + WALLET.indexes,
                    make_context=make_context,
                    jobs=(ensure_provider_secrets, relay_outboxes, work_open),
                    sweeps=(sweep_expired, sweep_claims, sweep_events, sweep_notifications))
