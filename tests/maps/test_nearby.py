"""nearbyStores equals a brute-force great-circle reference; quotes, routes, bad input."""

import asyncio
import itertools
import math
import random

import h3
import pytest

from schema.maps.schema import schema
from schema.stores.geo import distance_meters
from schema.stores.seed import store_documents, write_stores
from tests.stores.helpers import data, make_store, partner, run

A = partner("ptn_01JAAAAAAAAAAAAAAAAAAAAAAA")
NEARBY = """query($near: GeoPointInput!, $r: Int!, $first: Int, $after: String,
                  $filter: NearbyFilter) {
  nearbyStores(near: $near, radiusMeters: $r, first: $first, after: $after, filter: $filter) {
    edges { cursor distanceMeters node { id } } pageInfo { hasNextPage endCursor } } }"""


def _destination(lat: float, lng: float, bearing: float, meters: float) -> tuple[float, float]:
    d, b = meters / 6_371_008.8, math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lng)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1),
                         math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


async def _all_pages(db, near, radius):
    found, after = [], None
    while True:
        page = (await data(schema, db, NEARBY, A, near=near, r=radius, first=100,
                           after=after))["nearbyStores"]
        found += [(e["distanceMeters"], e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_nearby_equals_brute_force_reference(db):
    documents = store_documents(600, A.partner_id)
    rng = random.Random(3)
    centre = documents[0]["location"]
    # stores exactly on the radius and on an H3 cell boundary of the query point
    for i, bearing in enumerate((0, 90, 200)):
        lat, lng = _destination(centre["lat"], centre["lng"], bearing, 2500)
        documents[10 + i]["location"] = {"lat": lat, "lng": lng}
    await write_stores(db, documents)
    cell = h3.latlng_to_cell(centre["lat"], centre["lng"], 7)
    vertex = h3.cell_to_boundary(cell)[0]
    points = [(centre["lat"], centre["lng"]), vertex,
              *[(31.23 + rng.uniform(-0.2, 0.2), 121.47 + rng.uniform(-0.2, 0.2))
                for _ in range(4)]]
    for (lat, lng), radius in zip(points, (2500, 3000, 800, 5000, 12000, 1500), strict=True):
        reference = sorted(
            (d, s["_id"]) for s in documents
            if (d := distance_meters(lat, lng, s["location"]["lat"], s["location"]["lng"]))
            <= radius)
        assert await _all_pages(db, {"lat": lat, "lng": lng}, radius) == reference
    on_radius = await _all_pages(db, centre, 2500)
    assert {documents[10]["_id"], documents[11]["_id"]} & {s for _, s in on_radius}


async def test_filters_open_now_and_service(db):
    open_id = await make_store(db, A, "OPEN", 31.2, 121.4, services=["PICKUP"],
                               openingHours=[{"dayOfWeek": d, "opens": "00:00",
                                              "closes": "00:00"} for d in range(1, 8)])
    await make_store(db, A, "SHUT", 31.2001, 121.4, services=["DELIVERY"], openingHours=[])
    near = {"lat": 31.2, "lng": 121.4}
    got = await data(schema, db, NEARBY, A, near=near, r=1000, filter={"openNow": True})
    assert [e["node"]["id"] for e in got["nearbyStores"]["edges"]] == [open_id]
    got = await data(schema, db, NEARBY, A, near=near, r=1000, filter={"service": "DELIVERY"})
    assert [e["node"]["id"] for e in got["nearbyStores"]["edges"]] != [open_id]
    assert len(got["nearbyStores"]["edges"]) == 1


@pytest.mark.parametrize(("near", "radius", "first"), [
    ({"lat": 91, "lng": 0}, 1000, 10), ({"lat": 0, "lng": -181}, 1000, 10),
    ({"lat": 0, "lng": 0}, 0, 10), ({"lat": 0, "lng": 0}, 50_001, 10),
    ({"lat": 0, "lng": 0}, 1000, 101),
])
async def test_bad_input_is_bad_user_input(db, near, radius, first):
    result = await run(schema, db, NEARBY, A, near=near, r=radius, first=first)
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_delivery_quote_eta_and_fee(db):
    store_id = await make_store(db, A, "Q", 31.2, 121.4)
    lat, lng = _destination(31.2, 121.4, 45, 2100)
    out = await data(schema, db, """query($s: ID!, $to: GeoPointInput!) {
      deliveryQuote(storeId: $s, to: $to) { covered distanceMeters etaMinutes fee { amount } } }""",
                     A, s=store_id, to={"lat": lat, "lng": lng})
    quote = out["deliveryQuote"]
    assert quote["covered"] and quote["distanceMeters"] == 2100
    assert quote["etaMinutes"] == math.ceil(2100 * 1.3 / 250) + 5
    assert quote["fee"]["amount"] == 300 + 2 * 100
    far = _destination(31.2, 121.4, 45, 3100)
    out = await data(schema, db, """query($s: ID!, $to: GeoPointInput!) {
      deliveryQuote(storeId: $s, to: $to) { covered etaMinutes fee { amount } } }""",
                     A, s=store_id, to={"lat": far[0], "lng": far[1]})
    assert out["deliveryQuote"] == {"covered": False, "etaMinutes": None, "fee": None}


async def test_courier_route_uncrosses_the_tour(db):
    start = {"lat": 31.0, "lng": 121.0}
    square = [(31.0, 121.01), (31.01, 121.01), (31.01, 121.0), (31.005, 121.005)]
    stops = [{"id": f"s{i}", "location": {"lat": a, "lng": b}} for i, (a, b) in enumerate(square)]
    out = await data(schema, db, """query($start: GeoPointInput!, $stops: [RouteStopInput!]!) {
      courierRoute(start: $start, stops: $stops) { totalDistanceMeters etaMinutes
        stops { id sequence legDistanceMeters } } }""", A, start=start, stops=stops)
    route = out["courierRoute"]
    assert sorted(s["id"] for s in route["stops"]) == ["s0", "s1", "s2", "s3"]
    assert route["totalDistanceMeters"] == sum(s["legDistanceMeters"] for s in route["stops"])
    best = min(sum(distance_meters(*a, *b) for a, b in itertools.pairwise(
        [(31.0, 121.0), *(square[i] for i in order)]))
        for order in itertools.permutations(range(4)))
    assert route["totalDistanceMeters"] == best


async def test_concurrent_upserts_in_one_cell_keep_every_store(db):
    ids = await asyncio.gather(*(make_store(db, A, f"C{i}", 31.2 + i * 1e-5, 121.4)
                                 for i in range(12)))
    found = await _all_pages(db, {"lat": 31.2, "lng": 121.4}, 500)
    assert sorted(s for _, s in found) == sorted(ids)


async def test_courier_route_refuses_repeated_stop_ids(db):
    stops = [{"id": stop_id, "location": {"lat": 31.0 + i / 100, "lng": 121.0}}
             for i, stop_id in enumerate(["a", "b", "a"])]
    result = await run(schema, db, """query($start: GeoPointInput!, $stops: [RouteStopInput!]!) {
      courierRoute(start: $start, stops: $stops) { totalDistanceMeters } }""", A,
                       start={"lat": 31.0, "lng": 121.0}, stops=stops)
    assert result.data is None
    [error] = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT", "argument": "stops",
                                "field": ["stops", 2, "id"]}
    assert error.message == "stop ids must be unique: stops[2] repeats the id 'a' of stops[0]"
