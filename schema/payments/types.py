"""The payments subgraph's GraphQL types (contract section ``[payments]``)."""

from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key

from schema.kernel.context import SubgraphContext
from schema.kernel.entities import Partner
from schema.kernel.errors import ErrorCode, graphql_error
from schema.kernel.graphql_types import Money, UserError
from schema.payments.access import may_see
from schema.payments.collections import PAYMENTS
from schema.payments.settlements import Settlement as SettlementLine

Document = dict[str, Any]
Day = date
"""``Settlement.date``'s type (a field named ``date`` hides the class in its body)."""
READ = [["payments:read"]]


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)],
                            description="A member of the coalition programme.")
class Member:
    id: strawberry.ID


@strawberry.enum(description="What a payment pays for.")
class PaymentPurpose(Enum):
    ORDER = "ORDER"
    DEAL = "DEAL"
    TOP_UP = "TOP_UP"


@strawberry.enum(description="Where a payment is: REQUIRES_PAYMENT (waiting for the external "
                             "portion; canceled after 15 minutes) → PROCESSING → SUCCEEDED, or "
                             "FAILED / CANCELED. Only ever forward.")
class PaymentStatus(Enum):
    REQUIRES_PAYMENT = "REQUIRES_PAYMENT"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


@strawberry.enum(description="How a portion of a payment is paid: the member's stored value, "
                             "points (at the merchant's pointValue), or an external provider.")
class PaymentMethod(Enum):
    STORED_VALUE = "STORED_VALUE"
    POINTS = "POINTS"
    EXTERNAL = "EXTERNAL"


@strawberry.enum(description="Where a refund is.")
class RefundStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type(description="One part of a payment, by method.")
class PaymentPortion:
    method: PaymentMethod = strawberry.field(description="How this portion is paid.")
    amount: Money = strawberry.field(description="What this portion pays.")
    points: int | None = strawberry.field(description="POINTS portions: the points spent.")


@strawberry.type(description="What the paying member does next to pay the external portion.")
class PaymentNextAction:
    provider: str = strawberry.field(description='The provider, e.g. "sandbox".')
    redirect_url: str | None = strawberry.field(description="A page to open, if any.")
    qr_payload: str | None = strawberry.field(description="What to show as a QR code for the "
                                                          "member's wallet app to scan.")


@strawberry.type(description="A (partial) refund of a payment.")
class Refund:
    id: strawberry.ID = strawberry.field(description="The refund's id (ref_…).")
    amount: Money = strawberry.field(description="How much this refund gives back.")
    status: RefundStatus = strawberry.field(description="PENDING until its money has moved.")
    reason: str | None = strawberry.field(description="The merchant's reason, if given.")
    created_at: datetime = strawberry.field(description="When the refund was asked for.")

    @classmethod
    def from_document(cls, refund: Document, currency: str) -> "Refund":
        return cls(id=strawberry.ID(refund["id"]),
                   amount=Money(amount=refund["amount"], currency=currency),
                   status=RefundStatus(refund["status"]), reason=refund.get("reason"),
                   created_at=refund["createdAt"])


@strawberry.federation.type(keys=["id"], description="A payment by a member (or a guest) to a "
                            "merchant. Visible to its merchant, to the paying member's token "
                            "and to the app that created it.")
class Payment:
    id: strawberry.ID = strawberry.field(description="The payment's id (pay_…).")
    merchant: Partner = strawberry.field(description="Who is paid.")
    member: Member | None = strawberry.field(description="The paying member (none: a guest).")
    purpose: PaymentPurpose = strawberry.field(description="What the payment pays for.")
    amount: Money = strawberry.field(description="The whole amount: the portions add up to it.")
    amount_refunded: Money = strawberry.field(description="The refunds that succeeded.")
    status: PaymentStatus = strawberry.field(description="Where the payment is; only forward.")
    portions: list[PaymentPortion] = strawberry.field(description="How it is paid, by method.")
    next_action: PaymentNextAction | None = strawberry.field(
        description="While REQUIRES_PAYMENT: what the member does to pay the external portion.")
    refunds: list[Refund] = strawberry.field(description="Its refunds, oldest first.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_document(cls, doc: Document) -> "Payment":
        currency = doc["currency"]
        action = doc.get("nextAction") if doc["status"] == "REQUIRES_PAYMENT" else None
        return cls(
            id=strawberry.ID(doc["_id"]), merchant=Partner(id=strawberry.ID(doc["merchantId"])),
            member=Member(id=strawberry.ID(doc["memberId"])) if doc.get("memberId") else None,
            purpose=PaymentPurpose(doc["purpose"]),
            amount=Money(amount=doc["amount"], currency=currency),
            amount_refunded=Money(amount=doc["amountRefunded"], currency=currency),
            status=PaymentStatus(doc["status"]),
            portions=[PaymentPortion(method=PaymentMethod(p["method"]),
                                     amount=Money(amount=p["amount"], currency=currency),
                                     points=p.get("points")) for p in doc["portions"]],
            next_action=PaymentNextAction(provider=action["provider"],
                                          redirect_url=action.get("redirectUrl"),
                                          qr_payload=action.get("qrPayload"))
            if action else None,
            refunds=[Refund.from_document(r, currency) for r in doc["refunds"]],
            created_at=doc["createdAt"], updated_at=doc["updatedAt"])

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info,
                                id: strawberry.ID) -> "Payment | None":
        context: SubgraphContext = info.context
        doc = await context.db[PAYMENTS].find_one({"_id": str(id)})
        if doc is None or context.principal is None or not may_see(context.principal, doc):
            return None
        return cls.from_document(doc)


async def visible_payment(context: SubgraphContext, payment_id: str) -> Payment | None:
    """The payment if the caller may see it; None when there is none; FORBIDDEN otherwise."""
    doc = await context.db[PAYMENTS].find_one({"_id": payment_id})
    if doc is None:
        return None
    assert context.principal is not None
    if not may_see(context.principal, doc):
        raise graphql_error("this payment is not yours to see", ErrorCode.FORBIDDEN)
    return Payment.from_document(doc)


@strawberry.type(description="A merchant's settlement for one Asia/Shanghai day: gross "
                             "(EXTERNAL and STORED_VALUE portions of payments that succeeded "
                             "that day) - refunds - commission = net.")
class Settlement:
    merchant: Partner = strawberry.field(description="The merchant settled with.")
    date: Day = strawberry.field(description="The Asia/Shanghai calendar day.")
    gross: Money = strawberry.field(description="EXTERNAL and STORED_VALUE portions of the "
                                                "payments that succeeded that day.")
    refunds: Money = strawberry.field(description="The same methods' share of the refunds "
                                                  "that succeeded that day.")
    commission: Money = strawberry.field(description="The platform's: the merchant's rate x "
                                                     "(gross - refunds), rounded half-even.")
    net: Money = strawberry.field(description="gross - refunds - commission: what the merchant "
                                              "is paid.")

    @classmethod
    def of(cls, line: SettlementLine) -> "Settlement":
        def money(amount: int) -> Money:
            return Money(amount=amount, currency=line.currency)
        return cls(merchant=Partner(id=strawberry.ID(line.merchant_id)), date=line.day,
                   gross=money(line.gross), refunds=money(line.refunds),
                   commission=money(line.commission), net=money(line.net))


@strawberry.type(description="The result of a payment mutation.")
class PaymentPayload:
    payment: Payment | None = strawberry.field(description="The payment (null when refused).")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it "
                                                                "was.")


@strawberry.type(description="The result of refundPayment.")
class RefundPayload:
    refund: Refund | None = strawberry.field(description="The refund (null when refused).")
    payment: Payment | None = strawberry.field(description="The payment refunded.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it "
                                                                "was.")
