"""The orders subgraph's input types (contract section ``[orders]``)."""

from datetime import datetime

import strawberry

from schema.kernel.graphql_types import AddressInput, FulfillmentType, GeoPointInput
from schema.orders.types import OrderStatus, SalesChannel


@strawberry.input(description="One line: a product of the merchant and how many (1 to 999).")
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input(description="DELIVERY: address and location, both required (no geocoding); "
                              "PICKUP and DINE_IN: storeId, a store open now that offers it.")
class FulfillmentInput:
    type: FulfillmentType
    store_id: strawberry.ID | None = None
    location: GeoPointInput | None = None
    address: AddressInput | None = None


@strawberry.input(description="An order from any channel; prices come from the catalogue. "
                              "1 to 100 lines.")
class PlaceOrderInput:
    merchant_id: strawberry.ID
    channel: SalesChannel
    lines: list[OrderLineInput]
    fulfillment: FulfillmentInput
    idempotency_key: str
    external_id: str | None = strawberry.field(default=None, description="The channel's own "
                                               "order id: unique per merchant and channel.")
    member_id: strawberry.ID | None = None


@strawberry.input(description="Move an order along its status machine.")
class TransitionOrderInput:
    order_id: strawberry.ID
    to: OrderStatus
    idempotency_key: str
    note: str | None = None


@strawberry.input(description="Give a delivery order to a courier (an id the merchant, or "
                              "its delivery partner, assigns).")
class AssignCourierInput:
    order_id: strawberry.ID
    courier_id: strawberry.ID


@strawberry.input(description="Cancel an order before preparation; a paid one is refunded.")
class CancelOrderInput:
    order_id: strawberry.ID
    idempotency_key: str
    reason: str | None = None


@strawberry.input(description="Which of the caller's orders: by store, status, channel, and "
                              "changed after an instant (a poller's last updatedAt).")
class OrderFilter:
    store_id: strawberry.ID | None = None
    statuses: list[OrderStatus] | None = None
    channel: SalesChannel | None = None
    updated_after: datetime | None = None
