"""The marketing subgraph: campaigns, deals, vouchers and live campaign results (contract
section ``[marketing]``), extending ``Member`` with its vouchers.

Money and stock moving mutations (purchaseDeal, redeemVoucher, refundVoucher) run under the
caller's idempotency key (:func:`schema.kernel.idempotency.run_once`), bound to an operation
id before anything moves; business refusals are results kept with the key. Importing this
module registers the DEAL payment outcome handler (:mod:`schema.marketing.issue`) and the
campaigns' points multiplier (:mod:`schema.marketing.campaigns`).
"""

from typing import Any

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
from schema.kernel.graphql_types import GeoPointInput, MoneyInput, PageInfo, schema_config
from schema.kernel.graphql_types import UserError as UserErrorType
from schema.kernel.idempotency import INDEXES as IDEMPOTENCY_INDEXES
from schema.kernel.idempotency import Refuse, run_once, sweep_expired
from schema.kernel.money import Money
from schema.kernel.pagination import after_key, check_first, encode_cursor
from schema.kernel.principal import Principal
from schema.kernel.reads import get_many
from schema.kernel.subgraph import Subgraph
from schema.kernel.time import utcnow
from schema.marketing import campaigns, deals, purchase, redeem, refund
from schema.marketing.codes import InvalidCode, code_lookup_key, normalise_code
from schema.marketing.collections import INDEXES, VOUCHERS
from schema.marketing.expiry import sweep_expired_vouchers
from schema.marketing.inputs import (
    CreateCampaignInput,
    CreateDealInput,
    PurchaseDealInput,
    RedeemVoucherInput,
    RefundVoucherInput,
)
from schema.marketing.listing import DealQuery, find_deals
from schema.marketing.subscriptions import Subscription
from schema.marketing.types import (
    CAMPAIGN_READ,
    CATALOG_READ,
    VOUCHERS_READ,
    Campaign,
    CampaignPayload,
    Deal,
    DealConnection,
    DealEdge,
    DealPayload,
    MemberRef,
    Payment,
    PurchaseDealPayload,
    Voucher,
    VoucherPayload,
)
from schema.marketing.vouchers import get_voucher, may_see, sweep_stats_due
from schema.payments.portions import PortionRequest
from schema.stores.read import check_point, check_radius

Result = dict[str, Any]
MAX_KEY = 200


def _money(value: MoneyInput, argument: str) -> Money:
    try:
        return Money(value.amount, value.currency)
    except ValueError as exc:
        raise bad_user_input(str(exc), argument=argument) from exc


def _plain(value: MoneyInput | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": value.amount, "currency": value.currency}


def _errors(errors: list[dict[str, Any]]) -> list[UserErrorType]:
    return [UserErrorType(code=e["code"], field=e["field"], message=e["message"])
            for e in errors]


def _one(code: UserErrorCode, message: str, *field: str) -> list[UserErrorType]:
    return [UserErrorType.of(UserError(code, message, ("input", *field)))]


def _merchant(context: SubgraphContext, scope: str) -> tuple[Principal, str]:
    """A merchant's app (not a member's token) holding ``scope``."""
    principal = context.require(scope)
    if principal.member_id is not None:
        raise graphql_error("a member's token cannot do this", ErrorCode.FORBIDDEN)
    return principal, principal.require_partner()


def _key_problem(key: str) -> list[UserErrorType] | None:
    if 0 < len(key) <= MAX_KEY:
        return None
    return _one(UserErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY} characters",
                "idempotencyKey")


def _refusal(key: str) -> Refuse:
    def refuse(error: UserError) -> Result:
        return {key: None, "userErrors": [error.to_dict()]}
    return refuse


async def _voucher_payload(context: SubgraphContext, result: Result) -> VoucherPayload:
    doc = await get_voucher(context.db, result["voucherId"]) if result.get("voucherId") else None
    return VoucherPayload(voucher=Voucher.of(doc) if doc else None,
                          user_errors=_errors(result["userErrors"]))


@strawberry.type
class Query:
    @strawberry.federation.field(requires_scopes=CATALOG_READ, description="A deal by id "
                                 "(open catalogue: any partner with catalog:read).")
    async def deal(self, info: strawberry.Info, id: strawberry.ID) -> Deal | None:
        context: SubgraphContext = info.context
        context.require("catalog:read")
        doc = await deals.get_deal(context.db, id_argument(id, "dea", "id"))
        return Deal.of(doc) if doc else None

    @strawberry.federation.field(
        requires_scopes=CATALOG_READ,
        description="Deals on sale (open catalogue): a merchant's, and/or near a point, nearest "
                    "redeeming store first with distanceMeters (radiusMeters 1 to 50,000). "
                    "first: at most 100.")
    async def deals(self, info: strawberry.Info, merchant_id: strawberry.ID | None = None,
                    near: GeoPointInput | None = None, radius_meters: int | None = 5000,
                    first: int | None = 20, after: str | None = None) -> DealConnection:
        context: SubgraphContext = info.context
        context.require("catalog:read")
        size = check_first(first)
        merchant = id_argument(merchant_id, "ptn", "merchantId") if merchant_id else None
        point = check_point(near.lat, near.lng, "near") if near is not None else None
        radius = check_radius(radius_meters)
        start = after_key(after, lambda k: isinstance(k, list) and len(k) == 2
                          and isinstance(k[1], str)
                          and (k[0] is None or isinstance(k[0], int)))
        rows = await find_deals(context.db, DealQuery(merchant, point, radius), start, size,
                                utcnow())
        edges = [DealEdge(cursor=encode_cursor([d, doc["_id"]]), node=Deal.of(doc),
                          distance_meters=d) for d, doc in rows[:size]]
        return DealConnection(edges=edges, page_info=PageInfo(
            has_next_page=len(rows) > size, has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))

    @strawberry.federation.field(requires_scopes=VOUCHERS_READ, description="A voucher: for "
                                 "its member's token and its deal's merchant (others: null).")
    async def voucher(self, info: strawberry.Info, id: strawberry.ID) -> Voucher | None:
        context: SubgraphContext = info.context
        principal = context.require("vouchers:read")
        doc = await get_voucher(context.db, id_argument(id, "vch", "id"))
        return Voucher.of(doc) if doc and may_see(principal, doc) else None

    @strawberry.federation.field(requires_scopes=CAMPAIGN_READ, description="One of the "
                                 "caller's campaigns, with its live stats (another merchant's: "
                                 "null with FORBIDDEN).")
    async def campaign(self, info: strawberry.Info, id: strawberry.ID) -> Campaign | None:
        context: SubgraphContext = info.context
        principal = context.principal
        if principal is None:
            raise graphql_error("authentication required", ErrorCode.UNAUTHENTICATED)
        if not (principal.has_scope("deals:write") or principal.has_scope("vouchers:read")):
            principal.require_scope("vouchers:read")
        doc = await campaigns.get_campaign(context.db, id_argument(id, "cmp", "id"))
        if doc is None:
            return None
        if principal.member_id is not None or not principal.owns(doc["partnerId"]):
            raise graphql_error("this campaign is not yours to see", ErrorCode.FORBIDDEN)
        return Campaign.of(doc)


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(requires_scopes=[["deals:write"]],
                                    description="Create a campaign of the caller's.")
    async def create_campaign(self, info: strawberry.Info,
                              input: CreateCampaignInput) -> CampaignPayload:
        context: SubgraphContext = info.context
        _, merchant = _merchant(context, "deals:write")
        problems = campaigns.campaign_problems(input.name, input.starts_at, input.ends_at,
                                               input.points_multiplier)
        if problems:
            return CampaignPayload(campaign=None,
                                   user_errors=[UserErrorType.of(p) for p in problems])
        doc = await campaigns.create_campaign(context.db, merchant, input.name, input.starts_at,
                                              input.ends_at, input.points_multiplier)
        return CampaignPayload(campaign=Campaign.of(doc), user_errors=[])

    @strawberry.federation.mutation(
        requires_scopes=[["deals:write"]],
        description="Create a deal of the caller's: faceValue at least the price, validUntil "
                    "after validFrom, stores and campaign of the caller's (else NOT_FOUND).")
    async def create_deal(self, info: strawberry.Info, input: CreateDealInput) -> DealPayload:
        context: SubgraphContext = info.context
        _, merchant = _merchant(context, "deals:write")
        request = deals.DealRequest(
            campaign_id=id_argument(input.campaign_id, "cmp", "campaignId")
            if input.campaign_id else None,
            title=input.title, description=input.description,
            price=_money(input.price, "price"), face_value=_money(input.face_value, "faceValue"),
            valid_from=input.valid_from, valid_until=input.valid_until,
            store_ids=[id_argument(s, "sto", "storeIds") for s in input.store_ids or []],
            stock_limit=input.stock_limit)
        problems = deals.shape_problems(request) or await deals.reference_problems(
            context.db, merchant, request)
        if problems:
            return DealPayload(deal=None, user_errors=[UserErrorType.of(p) for p in problems])
        doc = await deals.create_deal(context.db, merchant, request)
        return DealPayload(deal=Deal.of(doc), user_errors=[])

    @strawberry.federation.mutation(
        requires_scopes=[["payments:write"]],
        description="Buy 1 to 20 vouchers of a deal for a member: one DEAL payment to the "
                    "deal's merchant. Paid from balance, the vouchers come at once; with an "
                    "EXTERNAL portion, when the provider reports the payment. Never more than "
                    "the stock limit (DEAL_SOLD_OUT). Idempotent by key.")
    async def purchase_deal(self, info: strawberry.Info,
                            input: PurchaseDealInput) -> PurchaseDealPayload:
        context: SubgraphContext = info.context
        principal = context.require("payments:write")
        partner = principal.require_partner()
        problem = purchase.quantity_problem(input.quantity)
        early = [UserErrorType.of(problem)] if problem else _key_problem(input.idempotency_key)
        if early:
            return PurchaseDealPayload(payment=None, vouchers=[], user_errors=early)
        request = purchase.PurchaseRequest(
            deal_id=id_argument(input.deal_id, "dea", "dealId"),
            member_id=id_argument(input.member_id, "mem", "memberId"),
            quantity=input.quantity, channel=input.channel.value,
            portions=[PortionRequest(p.method.value,
                                     _money(p.amount, "portions") if p.amount else None,
                                     p.points) for p in input.portions])
        body = {"dealId": request.deal_id, "memberId": request.member_id,
                "quantity": request.quantity, "channel": request.channel,
                "portions": [{"method": p.method.value, "amount": _plain(p.amount),
                              "points": p.points} for p in input.portions]}

        async def run(operation_id: str) -> Result:
            return await purchase.purchase_deal(context.db, principal, request, operation_id)

        result = await run_once(context.db, partner, "purchaseDeal", input.idempotency_key,
                                body, run, _refusal("paymentId"))
        found = await get_many(context.db[VOUCHERS], result.get("voucherIds") or [])
        return PurchaseDealPayload(
            payment=Payment(id=strawberry.ID(result["paymentId"]))
            if result.get("paymentId") else None,
            vouchers=[Voucher.of(v) for v in found if v is not None],
            user_errors=_errors(result["userErrors"]))

    @strawberry.federation.mutation(
        requires_scopes=[["vouchers:redeem"]],
        description="Redeem a voucher at one of the caller's stores (a store's staff app: one "
                    "it is bound to): exactly once, within the deal's validity, at a store the "
                    "deal names. A code of another merchant's deal is NOT_FOUND. Idempotent by "
                    "key.")
    async def redeem_voucher(self, info: strawberry.Info,
                             input: RedeemVoucherInput) -> VoucherPayload:
        context: SubgraphContext = info.context
        principal, merchant = _merchant(context, "vouchers:redeem")
        store_id = id_argument(input.store_id, "sto", "storeId")
        try:
            code = normalise_code(input.code)
        except InvalidCode as exc:
            return VoucherPayload(voucher=None, user_errors=_one(
                UserErrorCode.INVALID, f"not a voucher code: {exc}", "code"))
        early = _key_problem(input.idempotency_key)
        if early:
            return VoucherPayload(voucher=None, user_errors=early)

        async def run(operation_id: str) -> Result:
            return await redeem.redeem_voucher(context.db, principal, merchant, code, store_id,
                                               operation_id)

        body = {"code": code_lookup_key(code), "storeId": store_id}
        result = await run_once(context.db, merchant, "redeemVoucher", input.idempotency_key,
                                body, run, _refusal("voucherId"))
        return await _voucher_payload(context, result)

    @strawberry.federation.mutation(
        requires_scopes=[["refunds:write"]],
        description="Refund an unused, unexpired voucher of one of the caller's deals, and its "
                    "share (the deal's price) of the payment. Idempotent by key.")
    async def refund_voucher(self, info: strawberry.Info,
                             input: RefundVoucherInput) -> VoucherPayload:
        context: SubgraphContext = info.context
        principal, merchant = _merchant(context, "refunds:write")
        voucher_id = id_argument(input.voucher_id, "vch", "voucherId")
        early = _key_problem(input.idempotency_key)
        if early:
            return VoucherPayload(voucher=None, user_errors=early)

        async def run(operation_id: str) -> Result:
            return await refund.refund_voucher(context.db, principal, voucher_id, operation_id)

        result = await run_once(context.db, merchant, "refundVoucher", input.idempotency_key,
                                {"voucherId": voucher_id}, run, _refusal("voucherId"))
        return await _voucher_payload(context, result)


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, subscription=Subscription,
                                      types=[MemberRef], config=schema_config())

# The relay moves voucher events; the sweeps expire vouchers of ended deals, settle the
# campaign figures and finish the voucher refunds a writer that died left.
SUBGRAPH = Subgraph(name="marketing", schema=schema,
                    indexes=INDEXES + EVENT_INDEXES + IDEMPOTENCY_INDEXES,
                    make_context=make_context, jobs=(relay_outboxes,),
                    sweeps=(sweep_expired_vouchers, sweep_stats_due,
                            refund.sweep_unfinished_refunds, sweep_expired, sweep_claims,
                            sweep_events))
