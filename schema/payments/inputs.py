"""The payments subgraph's GraphQL inputs (contract section ``[payments]``)."""

import strawberry

from schema.kernel.graphql_types import MoneyInput
from schema.payments.types import PaymentMethod, PaymentPurpose


@strawberry.input(description="One part of a payment: STORED_VALUE and EXTERNAL need an "
                              "amount; POINTS need points (worth points x the merchant's "
                              "pointValue; an amount given must equal that).")
class PaymentPortionInput:
    method: PaymentMethod
    amount: MoneyInput | None = None
    points: int | None = None


@strawberry.input(description="A payment to the caller's merchant. The portions add up to "
                              "the amount; balance portions (STORED_VALUE, POINTS) need "
                              "memberId. orderId: refused with NOT_FOUND until orders exist.")
class CreatePaymentInput:
    order_id: strawberry.ID | None = None
    member_id: strawberry.ID | None = None
    purpose: PaymentPurpose
    amount: MoneyInput | None = None
    portions: list[PaymentPortionInput]
    idempotency_key: str = strawberry.field(description="Same key and body → the first "
                                                        "result; kept 7 days.")


@strawberry.input(description="A (partial) refund: never more in total than was paid.")
class RefundPaymentInput:
    payment_id: strawberry.ID
    amount: MoneyInput
    reason: str | None = None
    idempotency_key: str


@strawberry.input(description="Add stored value to a member's balance, paid externally; "
                              "credited only when the payment succeeds.")
class TopUpInput:
    member_id: strawberry.ID
    amount: MoneyInput
    idempotency_key: str


@strawberry.input(description="Cancel a payment still waiting for its external portion; its "
                              "balance portions go back to the member.")
class CancelPaymentInput:
    payment_id: strawberry.ID
    idempotency_key: str
