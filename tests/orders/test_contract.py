"""The orders subgraph's SDL matches the contract's [orders] section: names, types and
arguments, every type and field described; ``Store.orders`` and ``Member.orders`` are the
orders extensions."""

from schema.orders.schema import schema
from tests.contract import extension_mismatches, section_mismatches, undescribed

TYPES = ["Order", "OrderLine", "Fulfillment", "OrderStatusChange", "OrderConnection",
         "OrderEdge", "OrderLineInput", "OrderFilter", "FulfillmentInput", "PlaceOrderInput",
         "TransitionOrderInput", "AssignCourierInput", "CancelOrderInput", "OrderPayload",
         "CourierAssignment"]
ENUMS = ["SalesChannel", "OrderStatus", "OrderActor"]
ROOTS = ["orders", "order", "courierAssignment", "placeOrder", "transitionOrder",
         "assignCourier", "cancelOrder"]
EXTENDED = [("Payment", "order"), ("Store", "orders"), ("Member", "orders")]


def test_the_sdl_matches_the_orders_section() -> None:
    assert section_mismatches(schema._schema, TYPES, ENUMS, ROOTS) == []
    assert extension_mismatches(schema._schema, EXTENDED) == []


def test_every_orders_type_is_described() -> None:
    assert undescribed(schema._schema, TYPES + ENUMS) == []
