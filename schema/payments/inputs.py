"""The payments subgraph's GraphQL inputs (contract section ``[payments]``)."""

import strawberry

from schema.kernel.graphql_types import MoneyInput
from schema.payments.types import PaymentMethod, PaymentPurpose


@strawberry.input(description="One part of a payment: STORED_VALUE and EXTERNAL need an "
                              "amount; POINTS need points (worth points x the merchant's "
                              "pointValue; an amount given must equal that).")
class PaymentPortionInput:
    method: PaymentMethod = strawberry.field(description="How this portion is paid.")
    amount: MoneyInput | None = strawberry.field(
        default=None, description="What it pays (POINTS: optional, must equal their worth).")
    points: int | None = strawberry.field(default=None,
                                          description="POINTS portions: the points to spend.")


@strawberry.input(description="A payment to the caller's merchant. The portions add up to "
                              "the amount; balance portions (STORED_VALUE, POINTS) need "
                              "memberId. orderId: one of the caller's orders awaiting payment "
                              "(purpose ORDER; amount and member default to the order's).")
class CreatePaymentInput:
    order_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order paid for (another merchant's: NOT_FOUND).")
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The paying member; required for balance portions; a "
                                  "member's token pays as its member.")
    purpose: PaymentPurpose = strawberry.field(description="ORDER or DEAL (top-ups: "
                                                           "topUpStoredValue).")
    amount: MoneyInput | None = strawberry.field(default=None,
                                                 description="The whole amount (required).")
    portions: list[PaymentPortionInput] = strawberry.field(
        description="How it is paid, one portion per method, adding up to amount.")
    idempotency_key: str = strawberry.field(description="Same key and body → the first "
                                                        "result; kept 7 days.")


@strawberry.input(description="A (partial) refund: never more in total than was paid.")
class RefundPaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="One of the caller's SUCCEEDED "
                                                             "payments.")
    amount: MoneyInput = strawberry.field(description="How much to give back, in the "
                                                      "payment's currency.")
    reason: str | None = strawberry.field(default=None, description="Why (shown on the "
                                                                    "refund).")
    idempotency_key: str = strawberry.field(description="Same key and body → the first "
                                                        "result; kept 7 days.")


@strawberry.input(description="Add stored value to a member's balance, paid externally; "
                              "credited only when the payment succeeds.")
class TopUpInput:
    member_id: strawberry.ID = strawberry.field(description="Whose stored value to top up.")
    amount: MoneyInput = strawberry.field(description="How much, in CNY.")
    idempotency_key: str = strawberry.field(description="Same key and body → the first "
                                                        "result; kept 7 days.")


@strawberry.input(description="Cancel a payment still waiting for its external portion; its "
                              "balance portions go back to the member.")
class CancelPaymentInput:
    payment_id: strawberry.ID = strawberry.field(description="One of the caller's payments "
                                                             "in REQUIRES_PAYMENT.")
    idempotency_key: str = strawberry.field(description="Same key and body → the first "
                                                        "result; kept 7 days.")
