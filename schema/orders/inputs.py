"""The orders subgraph's input types (contract section ``[orders]``)."""

from datetime import datetime

import strawberry

from schema.kernel.graphql_types import AddressInput, FulfillmentType, GeoPointInput, SalesChannel
from schema.orders.types import OrderStatus


@strawberry.input(description="One line: a product of the merchant and how many (1 to 999).")
class OrderLineInput:
    product_id: strawberry.ID = strawberry.field(description="A product of the merchant.")
    quantity: int = strawberry.field(description="1 to 999.")


@strawberry.input(description="DELIVERY: address and location, both required (no geocoding); "
                              "PICKUP and DINE_IN: storeId, a store open now that offers it.")
class FulfillmentInput:
    type: FulfillmentType = strawberry.field(description="DELIVERY, PICKUP or DINE_IN.")
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="PICKUP, DINE_IN: the store.")
    location: GeoPointInput | None = strawberry.field(
        default=None, description="DELIVERY: the address's location.")
    address: AddressInput | None = strawberry.field(
        default=None, description="DELIVERY: the address.")


@strawberry.input(description="An order from any channel; prices come from the catalogue. "
                              "1 to 100 lines.")
class PlaceOrderInput:
    merchant_id: strawberry.ID = strawberry.field(description="The merchant selling.")
    channel: SalesChannel = strawberry.field(description="Where the order comes from.")
    lines: list[OrderLineInput] = strawberry.field(description="1 to 100 lines.")
    fulfillment: FulfillmentInput = strawberry.field(description="How it is fulfilled.")
    idempotency_key: str = strawberry.field(description="Makes a retry safe (1 to 200 characters).")
    external_id: str | None = strawberry.field(default=None, description="The channel's own "
                                               "order id: unique per merchant and channel.")
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member ordering (a member's token: its own).")


@strawberry.input(description="Move an order along its status machine.")
class TransitionOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    to: OrderStatus = strawberry.field(description="The status to move to.")
    idempotency_key: str = strawberry.field(description="Makes a retry safe.")
    note: str | None = strawberry.field(default=None, description="Why (up to 500 characters).")


@strawberry.input(description="Give a delivery order to a courier (an id the merchant, or "
                              "its delivery partner, assigns).")
class AssignCourierInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    courier_id: strawberry.ID = strawberry.field(description="1 to 64 letters, digits, '_' or '-'.")


@strawberry.input(description="Cancel an order before preparation; a paid one is refunded.")
class CancelOrderInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    idempotency_key: str = strawberry.field(description="Makes a retry safe.")
    reason: str | None = strawberry.field(default=None, description="Why (up to 500 characters).")


@strawberry.input(description="Which of the caller's orders: by store, status, channel, and "
                              "changed after an instant (a poller's last updatedAt).")
class OrderFilter:
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only orders this store serves.")
    statuses: list[OrderStatus] | None = strawberry.field(
        default=None, description="Only orders in these statuses.")
    channel: SalesChannel | None = strawberry.field(
        default=None, description="Only orders from this channel.")
    updated_after: datetime | None = strawberry.field(
        default=None, description="Only orders changed after this instant.")
