"""Reads: deals near a point (nearest redeeming store first, with its distance), a
merchant's deals, paging; a member's vouchers as the member and as merchants see them;
campaigns only for their merchant."""

from pymongo.asynchronous.database import AsyncDatabase

from schema.stores.read import distance_meters
from tests.marketing.helpers import (
    buyer,
    campaign,
    deal,
    member_token,
    merchant,
    purchase,
    run,
    stores_of,
)
from tests.marketing.helpers import data as query

HERE = {"lat": 31.2304, "lng": 121.4737}
DEALS = """query($merchantId: ID, $near: GeoPointInput, $radius: Int, $first: Int,
  $after: String) { deals(merchantId: $merchantId, near: $near, radiusMeters: $radius,
  first: $first, after: $after) { edges { cursor distanceMeters node { id merchant { id } } }
  pageInfo { hasNextPage endCursor } } }"""
VOUCHERS = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Member {
  vouchers(first: 10) { edges { node { id code deal { id } } } } } } }"""


def _rows(out: dict) -> list[tuple[str, int | None]]:
    return [(e["node"]["id"], e["distanceMeters"]) for e in out["deals"]["edges"]]


async def test_deals_near_a_point_come_nearest_redeeming_store_first(db: AsyncDatabase) -> None:
    near_shop, far_shop = merchant(), merchant()
    near_store, far_store = await stores_of(db, near_shop.partner_id, 2)   # 0 m and ~1.1 km
    [other_store] = await stores_of(db, far_shop.partner_id, 1, lat=31.2404)
    everywhere = await deal(db, near_shop)
    far_only = await deal(db, near_shop, storeIds=[far_store])
    theirs = await deal(db, far_shop)
    reader = merchant(scopes=frozenset({"catalog:read"}))
    far_m = distance_meters(HERE["lat"], HERE["lng"], 31.2404, 121.4737)

    out = await query(db, DEALS, reader, near=HERE, radius=5_000)
    assert _rows(out) == [(everywhere, 0), *sorted([(far_only, far_m), (theirs, far_m)])]
    assert near_store and other_store
    small = await query(db, DEALS, reader, near=HERE, radius=500)
    assert _rows(small) == [(everywhere, 0)]
    mine = await query(db, DEALS, reader, merchantId=far_shop.partner_id, near=HERE,
                       radius=5_000)
    assert _rows(mine) == [(theirs, far_m)]
    listed = await query(db, DEALS, reader, merchantId=near_shop.partner_id, first=1)
    assert _rows(listed) == [(everywhere, None)] and listed["deals"]["pageInfo"]["hasNextPage"]
    rest = await query(db, DEALS, reader, merchantId=near_shop.partner_id, first=1,
                       after=listed["deals"]["pageInfo"]["endCursor"])
    assert _rows(rest) == [(far_only, None)]
    every = await query(db, DEALS, reader, first=100)
    assert {everywhere, far_only, theirs} <= {d for d, _ in _rows(every)}
    assert all(distance is None for _, distance in _rows(every))
    bad = await run(db, DEALS, reader, near={"lat": 91, "lng": 0})
    assert bad.errors[0].extensions["code"] == "BAD_USER_INPUT"


async def test_a_merchant_sees_only_vouchers_of_its_deals(db: AsyncDatabase) -> None:
    shop, other = merchant(), merchant()
    member = await buyer(db, shop.partner_id)
    app = member_token(member)
    ours = (await purchase(db, app, await deal(db, shop), member))["vouchers"][0]["id"]
    theirs = (await purchase(db, app, await deal(db, other), member))["vouchers"][0]["id"]
    def reps() -> list[dict]:
        return [{"__typename": "Member", "id": member}]

    def ids(out: dict) -> set[str]:
        return {e["node"]["id"] for e in out["_entities"][0]["vouchers"]["edges"]}

    as_member = await query(db, VOUCHERS, app, reps=reps())
    assert ids(as_member) == {ours, theirs}
    assert all(e["node"]["code"] for e in as_member["_entities"][0]["vouchers"]["edges"])
    as_shop = await query(db, VOUCHERS, shop, reps=reps())
    assert ids(as_shop) == {ours}
    assert as_shop["_entities"][0]["vouchers"]["edges"][0]["node"]["code"] is None
    as_other = await query(db, VOUCHERS, other, reps=reps())
    assert ids(as_other) == {theirs}
    stranger = await query(db, VOUCHERS, member_token(await buyer(db, shop.partner_id)),
                           reps=reps())
    assert stranger["_entities"][0]["vouchers"] is None


async def test_a_campaign_is_its_merchants_only(db: AsyncDatabase) -> None:
    shop, other = merchant(), merchant()
    campaign_id = await campaign(db, shop)
    deal_id = await deal(db, shop, campaignId=campaign_id)
    ask = "query($id: ID!) { campaign(id: $id) { id deals { id } } }"
    assert (await query(db, ask, shop, id=campaign_id))["campaign"] == {
        "id": campaign_id, "deals": [{"id": deal_id}]}
    refused = await run(db, ask, other, id=campaign_id)
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"
    on_deal = "query($id: ID!) { deal(id: $id) { campaign { id } } }"
    assert (await query(db, on_deal, other, id=deal_id))["deal"]["campaign"] is None
    assert (await query(db, on_deal, shop, id=deal_id))["deal"]["campaign"] == {
        "id": campaign_id}
