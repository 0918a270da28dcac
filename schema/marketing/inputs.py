"""The marketing subgraph's GraphQL inputs (contract section ``[marketing]``).

``PaymentPortionInput`` is payments' own class, so both subgraphs declare it identically, as
composition requires."""

from datetime import datetime

import strawberry

from schema.kernel.graphql_types import MoneyInput, SalesChannel
from schema.payments.inputs import PaymentPortionInput

KEY = "Same key and body → the first result; kept 7 days."


@strawberry.input(description="A campaign of the caller's.")
class CreateCampaignInput:
    name: str = strawberry.field(description="1 to 120 characters.")
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends (after startsAt).")
    points_multiplier: int = strawberry.field(default=1, description="1 to 10: earnPoints with "
                                                                     "its id multiplies by it.")


@strawberry.input(description="A deal of the caller's: faceValue at least price, validUntil "
                              "after validFrom, stores of the caller's (none: all of them).")
class CreateDealInput:
    campaign_id: strawberry.ID | None = strawberry.field(default=None,
                                                         description="One of the caller's "
                                                                     "campaigns.")
    title: str = strawberry.field(description="1 to 120 characters.")
    description: str | None = strawberry.field(default=None, description="Up to 2,000 "
                                                                         "characters.")
    price: MoneyInput = strawberry.field(description="What one voucher costs (positive).")
    face_value: MoneyInput = strawberry.field(description="What it is worth in store (at least "
                                                          "the price, same currency).")
    valid_from: datetime = strawberry.field(description="Redeemable from then.")
    valid_until: datetime = strawberry.field(description="On sale and redeemable until then.")
    store_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Where it is redeemed; none or empty: every store of yours.")
    stock_limit: int | None = strawberry.field(default=None, description="At most this many "
                                                                         "vouchers are sold.")


@strawberry.input(description="Buy vouchers of a deal for a member: one DEAL payment to the "
                              "deal's merchant for quantity x price.")
class PurchaseDealInput:
    deal_id: strawberry.ID = strawberry.field(description="The deal.")
    member_id: strawberry.ID = strawberry.field(description="Who gets the vouchers (a member's "
                                                            "token: itself).")
    quantity: int = strawberry.field(default=1, description="1 to 20 vouchers.")
    channel: SalesChannel = strawberry.field(description="Where it was sold.")
    portions: list[PaymentPortionInput] = strawberry.field(description="How it is paid, as in "
                                                                       "createPayment.")
    idempotency_key: str = strawberry.field(description=KEY)


@strawberry.input(description="Redeem a voucher at one of the caller's stores.")
class RedeemVoucherInput:
    code: str = strawberry.field(description="As the member shows it (case, spaces and dashes "
                                             "do not matter).")
    store_id: strawberry.ID = strawberry.field(description="Where it is redeemed.")
    idempotency_key: str = strawberry.field(description=KEY)


@strawberry.input(description="Refund an unused, unexpired voucher and its share of the "
                              "payment.")
class RefundVoucherInput:
    voucher_id: strawberry.ID = strawberry.field(description="One of your deals' vouchers.")
    idempotency_key: str = strawberry.field(description=KEY)
