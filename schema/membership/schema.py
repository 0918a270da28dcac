"""The membership subgraph: ``Member @key(id)``, the e-membership card, coalition points
and their settlement (contract section ``[membership]``)."""

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from schema.kernel.claims import sweep_claims
from schema.kernel.context import SubgraphContext, make_context
from schema.kernel.errors import (
    ErrorCode,
    UserErrorCode,
    bad_user_input,
    graphql_error,
    id_argument,
)
from schema.kernel.errors import UserError as KernelUserError
from schema.kernel.events import INDEXES as EVENT_INDEXES
from schema.kernel.events import relay_outboxes, sweep_events
from schema.kernel.graphql_types import Money, UserError, schema_config
from schema.kernel.idempotency import INDEXES as IDEMPOTENCY_INDEXES
from schema.kernel.idempotency import sweep_expired
from schema.kernel.sandbox import is_sandbox
from schema.kernel.signin_codes import INDEXES as SIGNIN_INDEXES
from schema.kernel.signin_codes import issue_signin_code, sweep_signin_codes
from schema.kernel.subgraph import Subgraph
from schema.membership import earn_rules, members, points
from schema.membership.access import View, view_of
from schema.membership.card_keys import rotate_card_keys
from schema.membership.cards import InvalidCardCode, member_of_card
from schema.membership.expiry import sweep_expiry
from schema.membership.inputs import (
    EarnPointsInput,
    RedeemPointsInput,
    RegisterMemberInput,
    ReversePointsInput,
    SetEarnRuleInput,
)
from schema.membership.phones import InvalidPhone, normalise_phone
from schema.membership.relationships import record_relationship
from schema.membership.settlement import points_settlement
from schema.membership.types import (
    MEMBERS_READ,
    POINTS_READ,
    EarnRule,
    EarnRulePayload,
    Member,
    MemberPayload,
    Partner,
    PointsPayload,
    PointsSettlementLine,
)
from schema.wallet import WALLET

MAX_NAME = 80
MAX_KEY = 200
MAX_SETTLEMENT_PERIOD = timedelta(days=366)
POINTS_WRITE = [["points:write"]]


def _key_error(key: str) -> PointsPayload | None:
    if 0 < len(key) <= MAX_KEY:
        return None
    return PointsPayload(entry=None, balance=None, user_errors=[UserError.of(KernelUserError(
        UserErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY} characters",
        ("input", "idempotencyKey")))])


@strawberry.type
class Query:
    @strawberry.federation.field(requires_scopes=MEMBERS_READ,
                                 description="The member a member token acts for (null for "
                                             "other tokens).")
    async def me(self, info: strawberry.Info) -> Member | None:
        context: SubgraphContext = info.context
        principal = context.require("members:read")
        if principal.member_id is None:
            return None
        doc = await members.get_member(context.db, principal.member_id)
        return Member.of(doc, View.SELF) if doc else None

    @strawberry.federation.field(requires_scopes=MEMBERS_READ,
                                 description="A member with a relationship to the caller, or "
                                             "the member's own token; otherwise null with "
                                             "FORBIDDEN.")
    async def member(self, info: strawberry.Info, id: strawberry.ID) -> Member | None:
        context: SubgraphContext = info.context
        context.require("members:read")
        member_id = id_argument(id, "mem", "id")
        view = await view_of(context, member_id)
        doc = await members.get_member(context.db, member_id) if view else None
        if doc is None or view is None:
            raise graphql_error("no member of yours with that id", ErrorCode.FORBIDDEN)
        return Member.of(doc, view)

    @strawberry.federation.field(requires_scopes=MEMBERS_READ,
                                 description="The member a scanned card code names, for a "
                                             "store's staff app or its merchant's own app; a "
                                             "tampered, expired or unknown-key code is null "
                                             "with CARD_CODE_INVALID.")
    async def member_by_card(self, info: strawberry.Info, code: str) -> Member | None:
        context: SubgraphContext = info.context
        principal = context.require("members:read")
        if principal.partner_id is None or principal.member_id is not None:
            raise graphql_error("card codes are scanned by a merchant's or store's app",
                                ErrorCode.FORBIDDEN)
        try:
            member_id = await member_of_card(context.db, code)
        except InvalidCardCode as exc:
            raise graphql_error(str(exc), ErrorCode.CARD_CODE_INVALID) from exc
        doc = await members.get_member(context.db, member_id)
        if doc is None:
            raise graphql_error("the card's member is unknown here", ErrorCode.CARD_CODE_INVALID)
        # showing the card at a merchant is dealing with it: the merchant may now take the
        # member's points (redeemPoints) and see the member, as after a registration
        await record_relationship(context.db, principal.partner_id, member_id)
        return Member.of(doc, View.PARTNER)

    @strawberry.federation.field(requires_scopes=POINTS_READ,
                                 description="A merchant's earn rule; null when it does not "
                                             "take part in the programme.")
    async def earn_rule(self, info: strawberry.Info, merchant_id: strawberry.ID) -> EarnRule | None:
        context: SubgraphContext = info.context
        context.require("points:read")
        doc = await earn_rules.get_rule(context.db, id_argument(merchant_id, "ptn", "merchantId"))
        return EarnRule.of(doc) if doc else None

    @strawberry.federation.field(
        requires_scopes=POINTS_READ,
        description="Per (issuer, redeemer) pair in [from, to): points redeemed less reversed "
                    "and what the issuer owes; lines where the caller is either side. At most "
                    "366 days.")
    async def points_settlement(
            self, info: strawberry.Info,
            from_: Annotated[datetime, strawberry.argument(name="from")],
            to: datetime) -> list[PointsSettlementLine]:
        context: SubgraphContext = info.context
        principal = context.require("points:read")
        partner_id = None if principal.is_admin else principal.require_partner()
        if not from_ < to or to - from_ > MAX_SETTLEMENT_PERIOD:
            raise bad_user_input("from must be before to, at most 366 days apart",
                                 argument="to")
        lines = await points_settlement(context.db, partner_id, from_, to)
        return [PointsSettlementLine(issuer=Partner(id=strawberry.ID(line.issuer)),
                                     redeemer=Partner(id=strawberry.ID(line.redeemer)),
                                     points=line.points, amount=Money.of(line.amount))
                for line in lines]


def _member_error(code: UserErrorCode, message: str, field: str) -> MemberPayload:
    return MemberPayload(member=None, user_errors=[UserError.of(KernelUserError(
        code, message, ("input", field)))])


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        requires_scopes=[["members:write"]],
        description="Register a member by phone, or find the member the phone belongs to "
                    "(never a second one); either way the caller now has a relationship "
                    "with the member. A new member gets a one-time sign-in code.")
    async def register_member(self, info: strawberry.Info,
                              input: RegisterMemberInput) -> MemberPayload:
        context: SubgraphContext = info.context
        partner_id = context.require("members:write").require_partner()
        try:
            phone = normalise_phone(input.phone)
        except InvalidPhone as exc:
            return _member_error(UserErrorCode.INVALID, str(exc), "phone")
        name = input.display_name.strip()
        if not 0 < len(name) <= MAX_NAME:
            return _member_error(UserErrorCode.INVALID,
                                 f"displayName must be 1 to {MAX_NAME} characters",
                                 "displayName")
        registered = await members.register(context.db, phone, name, partner_id)
        member_id = registered.member["_id"]
        await record_relationship(context.db, partner_id, member_id)
        if registered.created and not is_sandbox(context.db):
            await issue_signin_code(context.db, member_id, phone)
        return MemberPayload(member=Member.of(registered.member, View.PARTNER), user_errors=[])

    @strawberry.federation.mutation(
        requires_scopes=POINTS_WRITE,
        description="Set the caller's earn rule: the caller then issues and takes points.")
    async def set_earn_rule(self, info: strawberry.Info,
                            input: SetEarnRuleInput) -> EarnRulePayload:
        context: SubgraphContext = info.context
        partner_id = context.require("points:write").require_partner()
        value = input.point_value
        errors = earn_rules.rule_errors(input.points_per_currency_unit, value.amount,
                                        value.currency)
        if errors:
            return EarnRulePayload(earn_rule=None, user_errors=[UserError.of(e) for e in errors])
        doc = await earn_rules.set_rule(context.db, partner_id, input.points_per_currency_unit,
                                        value.amount, value.currency)
        return EarnRulePayload(earn_rule=EarnRule.of(doc), user_errors=[])

    @strawberry.federation.mutation(
        requires_scopes=POINTS_WRITE,
        description="Points for a member's spend at the caller, by its earn rule (rounded "
                    "down), times the pointsMultiplier of the caller's campaign named by "
                    "campaignId while it runs; they expire after the platform's period "
                    "(default 24 months).")
    async def earn_points(self, info: strawberry.Info, input: EarnPointsInput) -> PointsPayload:
        context: SubgraphContext = info.context
        partner_id = context.require("points:write").require_partner()
        member_id = id_argument(input.member_id, "mem", "memberId")
        if input.order_id is not None:
            return PointsPayload.of(points.refusal(KernelUserError(
                UserErrorCode.NOT_FOUND, "no such order", ("input", "orderId"))))
        campaign_id = (id_argument(input.campaign_id, "cmp", "campaignId")
                       if input.campaign_id is not None else None)
        early = _key_error(input.idempotency_key)
        if early is not None:
            return early
        result = await points.earn_points(context.db, partner_id, member_id, input.spend.amount,
                                          input.spend.currency, input.idempotency_key,
                                          campaign_id=campaign_id)
        return PointsPayload.of(result)

    @strawberry.federation.mutation(
        requires_scopes=POINTS_WRITE,
        description="Spend a member's points at the caller (oldest points first), which must "
                    "have an earn rule; INSUFFICIENT_POINTS when the balance is short.")
    async def redeem_points(self, info: strawberry.Info,
                            input: RedeemPointsInput) -> PointsPayload:
        context: SubgraphContext = info.context
        principal = context.require("points:write")
        partner_id = principal.require_partner()
        member_id = id_argument(input.member_id, "mem", "memberId")
        store_id = (id_argument(input.store_id, "sto", "storeId")
                    if input.store_id is not None else None)
        early = _key_error(input.idempotency_key)
        if early is not None:
            return early
        result = await points.redeem_points(context.db, principal, partner_id, member_id,
                                            input.points, store_id, input.reference,
                                            input.idempotency_key)
        return PointsPayload.of(result)

    @strawberry.federation.mutation(
        requires_scopes=POINTS_WRITE,
        description="Reverse one of the caller's EARN or REDEEM entries, once; a reversal "
                    "that would take the balance below zero is refused.")
    async def reverse_points(self, info: strawberry.Info,
                             input: ReversePointsInput) -> PointsPayload:
        context: SubgraphContext = info.context
        partner_id = context.require("points:write").require_partner()
        entry_id = id_argument(input.entry_id, "led", "entryId")
        early = _key_error(input.idempotency_key)
        if early is not None:
            return early
        return PointsPayload.of(await points.reverse_points(context.db, partner_id, entry_id,
                                                            input.idempotency_key))


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Member],
                                      config=schema_config())

# Jobs: the wallet's outbox relay (points events) and the card keys (generated at start-up,
# rotated daily). Sweeps: claims, events, idempotency keys, sign-in codes, entries left
# unposted by a writer that died, and points expiry.
SUBGRAPH = Subgraph(
    name="membership", schema=schema,
    indexes=(WALLET.indexes + EVENT_INDEXES + IDEMPOTENCY_INDEXES
             + SIGNIN_INDEXES),
    make_context=make_context,
    jobs=(relay_outboxes, rotate_card_keys),
    sweeps=(sweep_claims, sweep_events, sweep_expired, sweep_signin_codes, WALLET.post_pending,
            sweep_expiry))
