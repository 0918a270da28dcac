"""The orders subgraph's GraphQL types (contract section ``[orders]``), with the references
to other subgraphs' entities it returns or extends (``Store.orders``, ``Member.orders``)."""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key

from schema.kernel.entities import Partner
from schema.kernel.graphql_types import (
    Address,
    FulfillmentType,
    GeoPoint,
    Money,
    PageInfo,
    SalesChannel,
    UserError,
)

Document = dict[str, Any]
READ = [["orders:read"]]


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)],
                            description="A product of a merchant's catalogue.")
class Product:
    id: strawberry.ID


@strawberry.federation.type(keys=["id"],
                            description="A payment by a member (or a guest) to a merchant.")
class Payment:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Payment":
        return cls(id=id)

    @strawberry.federation.field(requires_scopes=READ,
                                 description="The order it paid for (when the caller may see "
                                             "it).")
    async def order(self, info: strawberry.Info) -> "Order | None":
        from schema.orders.views import payment_order

        return await payment_order(info.context, str(self.id))


@strawberry.enum(description="CREATED → PAID → ACCEPTED → PREPARING → READY (pickup, dine-in) "
                             "or OUT_FOR_DELIVERY (delivery) → COMPLETED; CANCELED before "
                             "preparation; REFUNDED.")
class OrderStatus(Enum):
    CREATED = "CREATED"
    PAID = "PAID"
    ACCEPTED = "ACCEPTED"
    PREPARING = "PREPARING"
    READY = "READY"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    REFUNDED = "REFUNDED"


@strawberry.enum(description="Who moved an order.")
class OrderActor(Enum):
    CUSTOMER = "CUSTOMER"
    STORE_STAFF = "STORE_STAFF"
    COURIER = "COURIER"
    PARTNER = "PARTNER"
    SYSTEM = "SYSTEM"


@strawberry.federation.type(name="Store", keys=["id"],
                            description="A physical store of a merchant or chain.")
class StoreRef:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "StoreRef":
        return cls(id=id)

    @strawberry.federation.field(requires_scopes=READ,
                                 description="The store's board: orders it serves, by last "
                                             "change (owner only: the merchant's apps, a "
                                             "store-bound one for its own stores). first: at "
                                             "most 100.")
    async def orders(self, info: strawberry.Info, statuses: list["OrderStatus"] | None = None,
                     first: int | None = 20,
                     after: str | None = None) -> "OrderConnection | None":
        from schema.orders.views import store_orders

        return await store_orders(info.context, str(self.id),
                                  [s.value for s in statuses] if statuses else None,
                                  first, after)


@strawberry.type(description="One line of an order: the product, how many, its price when "
                             "the order was placed, and the store serving it.")
class OrderLine:
    product: Product = strawberry.field(description="The product.")
    quantity: int = strawberry.field(description="How many.")
    unit_price: Money = strawberry.field(
        description="Its catalogue price when the order was placed.")
    store: StoreRef = strawberry.field(description="The store serving this line.")


@strawberry.type(description="How the order is fulfilled, and by which stores.")
class Fulfillment:
    type: FulfillmentType = strawberry.field(description="DELIVERY, PICKUP or DINE_IN.")
    address: Address | None = strawberry.field(description="Where to deliver (DELIVERY).")
    location: GeoPoint | None = strawberry.field(description="The address's location (DELIVERY).")
    stores: list[StoreRef] = strawberry.field(
        description="The stores serving the order (two when a delivery is split).")
    courier_id: strawberry.ID | None = strawberry.field(
        description="The courier delivering it, once assigned.")


@strawberry.type(description="One step of an order's history.")
class OrderStatusChange:
    status: OrderStatus = strawberry.field(description="The status moved to.")
    at: datetime = strawberry.field(description="When.")
    actor: OrderActor = strawberry.field(description="Who moved it.")
    note: str | None = strawberry.field(description="Why (a cancel's reason; 'paid offline').")


def _address(doc: Document | None) -> Address | None:
    if not doc:
        return None
    return Address(line1=doc.get("line1", ""), line2=doc.get("line2"),
                   district=doc.get("district"), city=doc.get("city", ""),
                   province=doc.get("province"), postal_code=doc.get("postalCode"),
                   country=doc.get("country", "CN"))


@strawberry.federation.type(name="Member", keys=["id"],
                            description="A member of the coalition programme.")
class MemberRef:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "MemberRef":
        return cls(id=id)

    @strawberry.federation.field(requires_scopes=READ,
                                 description="The member's orders, newest first: all for the "
                                             "member's own token; a merchant sees only its "
                                             "own. first: at most 100.")
    async def orders(self, info: strawberry.Info, first: int | None = 20,
                     after: str | None = None) -> "OrderConnection | None":
        from schema.orders.views import member_orders

        return await member_orders(info.context, str(self.id), first, after)


@strawberry.federation.type(keys=["id"], description="An order from any channel.")
class Order:
    id: strawberry.ID = strawberry.field(description="The order's id.")
    merchant: Partner = strawberry.field(description="The merchant selling.")
    channel: SalesChannel = strawberry.field(description="Where it was placed.")
    external_id: str | None = strawberry.field(
        description="The channel's own order id (unique per merchant and channel).")
    member: MemberRef | None = strawberry.field(description="The member ordering, if any.")
    lines: list[OrderLine] = strawberry.field(description="What was ordered.")
    fulfillment: Fulfillment = strawberry.field(description="How and from where it is fulfilled.")
    status: OrderStatus = strawberry.field(description="Where it is in its life.")
    history: list[OrderStatusChange] = strawberry.field(
        description="Every status it had, oldest first.")
    total: Money = strawberry.field(description="The sum of its lines.")
    created_at: datetime = strawberry.field(description="When it was placed.")
    updated_at: datetime = strawberry.field(description="Its last change (the lists' order).")
    payments: list[Payment] = strawberry.field(description="Its succeeded payments (an order "
                                                           "paid offline has none).")

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> "Order | None":
        from schema.orders.views import visible_order

        return await visible_order(info.context, str(id))

    @classmethod
    def of(cls, doc: Document) -> "Order":
        stores = [StoreRef(id=strawberry.ID(s)) for s in doc["storeIds"]]
        where = doc["fulfillment"]
        return cls(
            id=strawberry.ID(doc["_id"]), merchant=Partner(id=strawberry.ID(doc["merchantId"])),
            channel=SalesChannel(doc["channel"]), external_id=doc.get("externalId"),
            member=MemberRef(id=strawberry.ID(doc["memberId"])) if doc.get("memberId") else None,
            lines=[OrderLine(product=Product(id=strawberry.ID(line["productId"])),
                             quantity=line["quantity"],
                             unit_price=Money.from_document(line["unitPrice"]),
                             store=StoreRef(id=strawberry.ID(line["storeId"])))
                   for line in doc["lines"]],
            fulfillment=Fulfillment(
                type=FulfillmentType(where["type"]), address=_address(where.get("address")),
                location=GeoPoint(**where["location"]) if where.get("location") else None,
                stores=stores, courier_id=doc.get("courierId")),
            status=OrderStatus(doc["status"]),
            history=[OrderStatusChange(status=OrderStatus(h["status"]), at=h["at"],
                                       actor=OrderActor(h["actor"]), note=h.get("note"))
                     for h in doc["history"]],
            total=Money.from_document(doc["total"]), created_at=doc["createdAt"],
            updated_at=doc["updatedAt"],
            payments=[Payment(id=strawberry.ID(p)) for p in doc.get("paymentIds", [])])


@strawberry.type(description="An order in a list.")
class OrderEdge:
    cursor: str = strawberry.field(description="Where this order is in the list.")
    node: Order = strawberry.field(description="The order.")


@strawberry.type(description="A page of orders.")
class OrderConnection:
    edges: list[OrderEdge] = strawberry.field(description="This page's orders.")
    page_info: PageInfo = strawberry.field(description="Whether more follow.")


@strawberry.type(description="A courier's open orders and the route over their drops from "
                             "the serving store.")
class CourierAssignment:
    courier_id: strawberry.ID = strawberry.field(description="The courier.")
    orders: list[Order] = strawberry.field(
        description="Its open orders (assigned, not yet delivered).")
    route: "CourierRoute" = strawberry.field(
        description="The route over their drops from the serving store.")


@strawberry.federation.type(shareable=True,
                            description="One drop of a route, in visiting order; ETAs are "
                                        "estimates.")
class RouteStop:
    id: strawberry.ID = strawberry.field(description="The stop's id (the order's).")
    sequence: int = strawberry.field(description="Visiting order, from 1.")
    location: GeoPoint = strawberry.field(description="Where.")
    leg_distance_meters: int = strawberry.field(description="From the previous stop.")
    arrival_eta_minutes: int = strawberry.field(description="Minutes from the start.")


@strawberry.federation.type(shareable=True,
                            description="A courier's multi-drop route (nearest neighbour + "
                                        "2-opt over great-circle distances). ETAs are estimates "
                                        "with road factor 1.3 at 15 km/h.")
class CourierRoute:
    stops: list[RouteStop] = strawberry.field(description="The drops in visiting order.")
    total_distance_meters: int = strawberry.field(description="The route's length.")
    eta_minutes: int = strawberry.field(description="Minutes to the last drop.")


@strawberry.type(description="The result of placeOrder, transitionOrder, assignCourier and "
                             "cancelOrder.")
class OrderPayload:
    order: Order | None = strawberry.field(description="The order (null when refused).")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")
