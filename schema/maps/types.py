"""The maps subgraph's GraphQL types (contract section ``[maps]``)."""

import strawberry

from schema.kernel.context import SubgraphContext
from schema.kernel.errors import bad_user_input
from schema.kernel.graphql_types import FulfillmentType, GeoPoint, GeoPointInput, Money, PageInfo
from schema.stores import read as stores

READ = [["stores:read"]]


@strawberry.federation.type(keys=["id"], description="A physical store of a merchant or chain.")
class Store:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Store":
        return cls(id=id)

    @strawberry.federation.field(requires_scopes=READ,
                                 description="Great-circle distance in whole metres.")
    async def distance_meters_from(self, info: strawberry.Info, point: GeoPointInput) -> int:
        context: SubgraphContext = info.context
        context.require("stores:read")
        lat, lng = stores.check_point(point.lat, point.lng, "point")
        doc = await stores.get_store(context.db, str(self.id))
        if doc is None:
            raise bad_user_input(f"no store {self.id}", argument="id")
        return stores.distance_meters(doc["location"]["lat"], doc["location"]["lng"], lat, lng)


@strawberry.type(description="A store near the point, with its distance.")
class NearbyStoreEdge:
    cursor: str
    node: Store
    distance_meters: int


@strawberry.type(description="Stores near a point, nearest first.")
class NearbyStoreConnection:
    edges: list[NearbyStoreEdge]
    page_info: PageInfo


@strawberry.input(description="Units of a product a store must have available.")
class StockRequirement:
    product_id: strawberry.ID
    quantity: int = 1


@strawberry.input(description="Filters for nearbyStores; all given filters must match.")
class NearbyFilter:
    merchant_id: strawberry.ID | None = None
    open_now: bool | None = None
    service: FulfillmentType | None = None
    in_stock: list[StockRequirement] | None = None


@strawberry.type(description="Delivery from a store to a point; eta and fee only when covered. "
                             "ETAs are estimates: great-circle distance x road factor 1.3 at "
                             "15 km/h plus 5 minutes handling.")
class DeliveryQuote:
    store: Store
    covered: bool
    distance_meters: int
    eta_minutes: int | None
    fee: Money | None


@strawberry.input(description="A drop on a courier route.")
class RouteStopInput:
    id: strawberry.ID
    location: GeoPointInput


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
