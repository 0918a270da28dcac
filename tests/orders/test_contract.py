"""The orders subgraph's SDL matches the contract's [orders] section: names, types and
arguments, every type and field described; ``Store.orders`` and ``Member.orders`` are the
orders extensions."""

from graphql import is_enum_type, is_input_object_type, is_object_type

from schema.orders.schema import schema
from tests.catalog.test_contract import _contract, _fields
from tests.marketing.test_contract import _described

TYPES = ["Order", "OrderLine", "Fulfillment", "OrderStatusChange", "OrderConnection",
         "OrderEdge", "OrderLineInput", "OrderFilter", "FulfillmentInput", "PlaceOrderInput",
         "TransitionOrderInput", "AssignCourierInput", "CancelOrderInput", "OrderPayload",
         "CourierAssignment"]
ENUMS = ["SalesChannel", "OrderStatus", "OrderActor"]
ROOTS = ["orders", "order", "courierAssignment", "placeOrder", "transitionOrder",
         "assignCourier", "cancelOrder"]


def test_the_sdl_matches_the_orders_section() -> None:
    contract, ours = _contract(), schema._schema
    for name in TYPES:
        theirs, mine = contract.type_map[name], ours.type_map[name]
        assert is_object_type(theirs) == is_object_type(mine), name
        assert is_input_object_type(theirs) == is_input_object_type(mine), name
        assert _fields(mine) == _fields(theirs), name
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
    payment_order = ours.type_map["Payment"].fields["order"]
    assert str(payment_order.type) == str(contract.type_map["Payment"].fields["order"].type)
    for owner in ("Store", "Member"):
        mine, expected = (ours.type_map[owner].fields["orders"],
                          contract.type_map[owner].fields["orders"])
        assert str(mine.type) == str(expected.type), owner
        assert {a: str(v.type) for a, v in mine.args.items()} == {
            a: str(v.type) for a, v in expected.args.items()}, owner


def test_every_orders_type_is_described() -> None:
    ours = schema._schema
    assert [m for name in TYPES + ENUMS for m in _described(ours.type_map[name])] == []
