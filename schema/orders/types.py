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
    UserError,
)

Document = dict[str, Any]
READ = [["orders:read"]]


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)],
                            description="A product of a merchant's catalogue.")
class Product:
    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)],
                            description="A payment by a member (or a guest) to a merchant.")
class Payment:
    id: strawberry.ID


@strawberry.enum(description="Where an order or a deal purchase was made.")
class SalesChannel(Enum):
    APP = "APP"
    WECHAT = "WECHAT"
    DIANPING = "DIANPING"
    POS = "POS"
    PARTNER = "PARTNER"


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
    product: Product
    quantity: int
    unit_price: Money
    store: StoreRef


@strawberry.type(description="How the order is fulfilled, and by which stores.")
class Fulfillment:
    type: FulfillmentType
    address: Address | None
    location: GeoPoint | None
    stores: list[StoreRef]
    courier_id: strawberry.ID | None


@strawberry.type(description="One step of an order's history.")
class OrderStatusChange:
    status: OrderStatus
    at: datetime
    actor: OrderActor
    note: str | None


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
    id: strawberry.ID
    merchant: Partner
    channel: SalesChannel
    external_id: str | None
    member: MemberRef | None
    lines: list[OrderLine]
    fulfillment: Fulfillment
    status: OrderStatus
    history: list[OrderStatusChange]
    total: Money
    created_at: datetime
    updated_at: datetime
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
    cursor: str
    node: Order


@strawberry.type(description="A page of orders.")
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo


@strawberry.type(description="A courier's open orders and the route over their drops from "
                             "the serving store.")
class CourierAssignment:
    courier_id: strawberry.ID
    orders: list[Order]
    route: "CourierRoute"


@strawberry.federation.type(shareable=True,
                            description="One drop of a route, in visiting order; ETAs are "
                                        "estimates.")
class RouteStop:
    id: strawberry.ID
    sequence: int
    location: GeoPoint
    leg_distance_meters: int
    arrival_eta_minutes: int


@strawberry.federation.type(shareable=True,
                            description="A courier's multi-drop route (nearest neighbour + "
                                        "2-opt over great-circle distances). ETAs are estimates "
                                        "with road factor 1.3 at 15 km/h.")
class CourierRoute:
    stops: list[RouteStop]
    total_distance_meters: int
    eta_minutes: int


@strawberry.type(description="The result of placeOrder, transitionOrder, assignCourier and "
                             "cancelOrder.")
class OrderPayload:
    order: Order | None
    user_errors: list[UserError]
