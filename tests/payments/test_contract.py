"""The payments subgraph's SDL matches the contract's [payments] section: names, types and
arguments, every type and field described. ``Payment.order`` is the orders subgraph's: it
extends ``Payment`` with it (tests/orders checks the composed graph)."""


from schema.payments.schema import schema
from tests.contract import section_mismatches, undescribed

TYPES = ["Payment", "PaymentPortion", "PaymentNextAction", "Refund", "PaymentPortionInput",
         "CreatePaymentInput", "RefundPaymentInput", "TopUpInput", "CancelPaymentInput",
         "PaymentPayload", "RefundPayload", "Settlement"]
ENUMS = ["PaymentPurpose", "PaymentStatus", "PaymentMethod", "RefundStatus"]
ROOTS = ["payment", "settlements", "topUpStoredValue", "createPayment", "cancelPayment",
         "refundPayment"]
OTHER_OWNERS = frozenset({("Payment", "order")})


def test_the_sdl_matches_the_payments_section() -> None:
    assert section_mismatches(schema._schema, TYPES, ENUMS, ROOTS, OTHER_OWNERS) == []


def test_every_payments_type_is_described() -> None:
    assert undescribed(schema._schema, TYPES + ENUMS) == []
