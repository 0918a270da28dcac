"""The membership subgraph's input types (contract section ``[membership]``)."""

import strawberry

from schema.kernel.graphql_types import MoneyInput


@strawberry.input(description="A member to register (or find) by phone.")
class RegisterMemberInput:
    phone: str = strawberry.field(description="Mainland China mobile (11 digits) or "
                                              "+<country code><number>.")
    display_name: str = strawberry.field(description="How the member is addressed (1 to 80 "
                                                     "characters).")


@strawberry.input(description="The caller's earn rule.")
class SetEarnRuleInput:
    points_per_currency_unit: int = strawberry.field(
        description="Points per whole currency unit spent (1 to 1,000).")
    point_value: MoneyInput = strawberry.field(
        description="What one point is worth when redeemed at the caller (CNY, ≥ 1 fen).")


@strawberry.input(description="Points for a member's spend at the caller.")
class EarnPointsInput:
    member_id: strawberry.ID = strawberry.field(description="The member (mem_…).")
    spend: MoneyInput = strawberry.field(description="What the member spent (positive, in "
                                                     "the earn rule's currency).")
    order_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order it belongs to (orders do not exist yet: "
                                  "refused with NOT_FOUND).")
    campaign_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the caller's running campaigns: the points are "
                                  "multiplied by its pointsMultiplier (else NOT_FOUND).")
    idempotency_key: str = strawberry.field(description="Same key and body: the first result.")


@strawberry.input(description="Spend a member's points at the caller.")
class RedeemPointsInput:
    member_id: strawberry.ID = strawberry.field(description="The member (mem_…).")
    points: int = strawberry.field(description="How many points (positive).")
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="The caller's store where it happens; required for a "
                                  "store's staff app.")
    reference: str | None = strawberry.field(default=None,
                                             description="The caller's own reference (≤ 200).")
    idempotency_key: str = strawberry.field(description="Same key and body: the first result.")


@strawberry.input(description="Reverse one of the caller's points entries.")
class ReversePointsInput:
    entry_id: strawberry.ID = strawberry.field(description="An EARN or REDEEM entry of the "
                                                           "caller's (led_…).")
    idempotency_key: str = strawberry.field(description="Same key and body: the first result.")
