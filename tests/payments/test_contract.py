"""The payments subgraph's SDL matches the contract's [payments] section: names, types and
arguments, every type and field described. ``Payment.order`` is the orders subgraph's: it
extends ``Payment`` with it (tests/orders checks the composed graph)."""

from graphql import GraphQLNamedType, is_enum_type, is_input_object_type, is_object_type

from schema.payments.schema import schema
from tests.catalog.test_contract import _contract, _fields

TYPES = ["Payment", "PaymentPortion", "PaymentNextAction", "Refund", "PaymentPortionInput",
         "CreatePaymentInput", "RefundPaymentInput", "TopUpInput", "CancelPaymentInput",
         "PaymentPayload", "RefundPayload", "Settlement"]
ENUMS = ["PaymentPurpose", "PaymentStatus", "PaymentMethod", "RefundStatus"]
ROOTS = ["payment", "settlements", "topUpStoredValue", "createPayment", "cancelPayment",
         "refundPayment"]
OTHER_OWNERS = {("Payment", "order")}


def _described(t: GraphQLNamedType) -> list[str]:
    missing = [] if t.description else [t.name]
    if is_object_type(t) or is_input_object_type(t):
        missing += [f"{t.name}.{n}" for n, f in t.fields.items() if not f.description]
    return missing


def test_the_sdl_matches_the_payments_section() -> None:
    contract, ours = _contract(), schema._schema
    for name in TYPES:
        theirs, mine = contract.type_map[name], ours.type_map[name]
        assert is_object_type(theirs) == is_object_type(mine), name
        assert is_input_object_type(theirs) == is_input_object_type(mine), name
        expected = {k: v for k, v in _fields(theirs).items() if (name, k) not in OTHER_OWNERS}
        assert _fields(mine) == expected, name
    for name in ENUMS:
        assert is_enum_type(ours.type_map[name])
        assert set(ours.type_map[name].values) == set(contract.type_map[name].values), name
    roots = {**contract.query_type.fields, **contract.mutation_type.fields}
    mine_roots = {**ours.query_type.fields, **ours.mutation_type.fields}
    for field in ROOTS:
        assert str(mine_roots[field].type) == str(roots[field].type), field
        assert {a: str(v.type) for a, v in mine_roots[field].args.items()} == {
            a: str(v.type) for a, v in roots[field].args.items()}, field
        assert mine_roots[field].description, field


def test_every_payments_type_is_described() -> None:
    ours = schema._schema
    assert [m for name in TYPES + ENUMS for m in _described(ours.type_map[name])] == []
