"""The maps subgraph: nearby stores, delivery quotes, courier routes, distances."""

import strawberry
from strawberry.federation.schema_directives import Cost, ListSize

from schema.kernel.context import SubgraphContext, make_context
from schema.kernel.errors import bad_user_input, id_argument
from schema.kernel.graphql_types import GeoPoint, GeoPointInput, Money, PageInfo, schema_config
from schema.kernel.pagination import check_first, decode_cursor, encode_cursor
from schema.kernel.subgraph import Subgraph
from schema.kernel.time import utcnow
from schema.maps.delivery import DEFAULT_RATES
from schema.maps.nearby import NearbyQuery, nearby
from schema.maps.routing import plan_route
from schema.maps.types import (
    READ,
    CourierRoute,
    DeliveryQuote,
    NearbyFilter,
    NearbyStoreConnection,
    NearbyStoreEdge,
    RouteStop,
    RouteStopInput,
    Store,
)
from schema.stores import read as stores

NEARBY_COST = 300
"""``@cost`` of one ``nearbyStores``: measured on the embedded FerretDB with the demo data, a
50 km search ran about 300 database commands (the work grows with the stores in the radius,
not with ``first``)."""

MAX_ROUTE_STOPS = 25


def _after(after: str | None) -> tuple[int, str] | None:
    if not after:   # null and "" are the start, on every connection (schema.kernel.pagination)
        return None
    key = decode_cursor(after)
    if (not isinstance(key, list) or len(key) != 2 or not isinstance(key[0], int)
            or not isinstance(key[1], str)):
        raise bad_user_input("invalid cursor", argument="after")
    return key[0], key[1]


def _query(near: GeoPointInput, radius: int, filter: NearbyFilter | None) -> NearbyQuery:
    lat, lng = stores.check_point(near.lat, near.lng, "near")
    radius = stores.check_radius(radius)
    if filter is None:
        return NearbyQuery(lat, lng, radius)
    needs = []
    for i, need in enumerate(filter.in_stock or []):
        if need.quantity < 1:
            raise bad_user_input("quantity must be at least 1", argument=f"filter.inStock.{i}")
        product_id = id_argument(need.product_id, "prd", "filter.inStock.productId")
        needs.append((product_id, need.quantity))
    return NearbyQuery(
        lat, lng, radius,
        merchant_id=id_argument(filter.merchant_id, "ptn", "filter.merchantId")
        if filter.merchant_id is not None else None,
        open_now=filter.open_now, service=filter.service.value if filter.service else None,
        in_stock=tuple(needs))


@strawberry.type
class Query:
    @strawberry.federation.field(
        requires_scopes=READ,
        directives=[Cost(weight=NEARBY_COST),
                    ListSize(slicing_arguments=["first"], sized_fields=["edges"])],
        description="Stores within radiusMeters (1..50,000) of a point, nearest first, with the "
                    "great-circle distance on each edge (whole metres, radius inclusive).")
    async def nearby_stores(self, info: strawberry.Info, near: GeoPointInput,
                            radius_meters: int = 3000, filter: NearbyFilter | None = None,
                            first: int | None = 20,
                            after: str | None = None) -> NearbyStoreConnection:
        context: SubgraphContext = info.context
        context.require("stores:read")
        query = _query(near, radius_meters, filter)
        size = check_first(first)
        rows, more = await nearby(context.db, query, _after(after), size, utcnow())
        edges = [NearbyStoreEdge(cursor=encode_cursor([d, doc["_id"]]),
                                 node=Store(id=strawberry.ID(doc["_id"])), distance_meters=d)
                 for d, doc in rows]
        return NearbyStoreConnection(edges=edges, page_info=PageInfo(
            has_next_page=more, has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None))

    @strawberry.federation.field(
        requires_scopes=READ,
        description="Delivery from a store to a point: covered when within the store's "
                    "delivery radius and the store delivers; ETA and fee are estimates.")
    async def delivery_quote(self, info: strawberry.Info, store_id: strawberry.ID,
                             to: GeoPointInput) -> DeliveryQuote | None:
        context: SubgraphContext = info.context
        context.require("stores:read")
        lat, lng = stores.check_point(to.lat, to.lng, "to")
        doc = await stores.get_store(context.db, id_argument(store_id, "sto", "storeId"))
        if doc is None:
            return None
        distance = stores.distance_meters(doc["location"]["lat"], doc["location"]["lng"], lat, lng)
        reach = doc.get("deliveryRadiusMeters")
        covered = ("DELIVERY" in doc["services"] and reach is not None and distance <= reach
                   and doc["status"] == "OPEN")
        return DeliveryQuote(
            store=Store(id=strawberry.ID(doc["_id"])), covered=covered, distance_meters=distance,
            eta_minutes=DEFAULT_RATES.eta_minutes(distance) if covered else None,
            fee=Money.of(DEFAULT_RATES.fee(distance)) if covered else None)

    @strawberry.federation.field(
        requires_scopes=READ,
        description="An order for visiting up to 25 drops from a start point (nearest "
                    "neighbour + 2-opt over great-circle distances). Stop ids must be unique "
                    "(each names one drop in the answer); a repeated id is BAD_USER_INPUT on "
                    "`stops`. ETAs are estimates: 5 minutes handling, then distance x road "
                    "factor 1.3 at 15 km/h.")
    def courier_route(self, info: strawberry.Info, start: GeoPointInput,
                      stops: list[RouteStopInput]) -> CourierRoute:
        info.context.require("stores:read")
        origin = stores.check_point(start.lat, start.lng, "start")
        if len(stops) > MAX_ROUTE_STOPS:
            raise bad_user_input(f"at most {MAX_ROUTE_STOPS} stops", argument="stops")
        _check_unique_stop_ids(stops)
        points = [stores.check_point(s.location.lat, s.location.lng, "stops") for s in stops]
        order = plan_route(origin, points)
        here, travelled, route = origin, 0, []
        for sequence, index in enumerate(order, start=1):
            leg = stores.distance_meters(here[0], here[1], *points[index])
            travelled += leg
            here = points[index]
            route.append(RouteStop(id=stops[index].id, sequence=sequence,
                                   location=GeoPoint(lat=here[0], lng=here[1]),
                                   leg_distance_meters=leg,
                                   arrival_eta_minutes=DEFAULT_RATES.eta_minutes(travelled)))
        eta = route[-1].arrival_eta_minutes if route else 0
        return CourierRoute(stops=route, total_distance_meters=travelled, eta_minutes=eta)


def _check_unique_stop_ids(stops: list[RouteStopInput]) -> None:
    """Each stop id names one drop of the answer, so a repeated id is the caller's mistake."""
    first_at: dict[str, int] = {}
    for index, stop in enumerate(stops):
        if stop.id in first_at:
            raise bad_user_input(
                f"stop ids must be unique: stops[{index}] repeats the id {stop.id!r} of "
                f"stops[{first_at[stop.id]}]", argument="stops", field=["stops", index, "id"])
        first_at[stop.id] = index


schema = strawberry.federation.Schema(query=Query, types=[Store],
                                      config=schema_config())

SUBGRAPH = Subgraph(name="maps", schema=schema, indexes=(), make_context=make_context)
