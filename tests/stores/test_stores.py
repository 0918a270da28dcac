"""Stores: upsert by (merchant, code), validation, status, open catalogue, tenancy."""

from datetime import UTC, datetime

import pytest

from schema.stores.hours import is_open_at
from schema.stores.schema import schema
from tests.stores.helpers import UPSERT_STORE, data, make_store, partner, run, store_input

A = partner("ptn_01JAAAAAAAAAAAAAAAAAAAAAAA")
B = partner("ptn_01JBBBBBBBBBBBBBBBBBBBBBBB")

STORES = """query($filter: StoreFilter, $first: Int, $after: String) {
  stores(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id code merchant { id } } }
    pageInfo { hasNextPage endCursor } } }"""


async def test_upsert_is_keyed_by_merchant_and_code(db):
    first = await make_store(db, A, "S1", 31.2, 121.4)
    again = await make_store(db, A, "S1", 31.3, 121.5)
    other = await make_store(db, B, "S1", 31.2, 121.4)
    assert first == again
    assert other != first
    store = await data(schema, db, "query($id: ID!) { store(id: $id) { location { lat } } }",
                       A, id=first)
    assert store["store"]["location"]["lat"] == 31.3


async def test_invalid_store_input_is_refused_with_paths(db):
    bad = store_input("S1", 95.0, 121.4, timeZone="Mars/Olympus")
    bad["openingHours"][0]["closes"] = "25:00"
    out = await data(schema, db, UPSERT_STORE, A, input=bad)
    fields = {tuple(e["field"]) for e in out["upsertStore"]["userErrors"]}
    assert ("input", "location", "lat") in fields
    assert ("input", "timeZone") in fields
    assert ("input", "openingHours", "0", "closes") in fields
    assert await db["stores"].count_documents({}) == 0


async def test_any_partner_lists_another_chains_stores_but_cannot_change_them(db):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    listed = await data(schema, db, STORES, partner(B.partner_id, "stores:read"))
    assert [e["node"]["id"] for e in listed["stores"]["edges"]] == [store_id]
    out = await data(schema, db, """mutation($input: SetStoreStatusInput!) {
        setStoreStatus(input: $input) { store { id } userErrors { code } } }""",
                     B, input={"storeId": store_id, "status": "CLOSED"})
    assert out["setStoreStatus"]["userErrors"][0]["code"] == "FORBIDDEN"
    assert (await db["stores"].find_one({"_id": store_id}))["status"] == "OPEN"


async def test_scopes_are_enforced_in_resolvers(db):
    result = await run(schema, db, STORES, partner(A.partner_id, "catalog:read"))
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
    result = await run(schema, db, STORES, None)
    assert result.errors[0].extensions["code"] == "UNAUTHENTICATED"


async def test_filters_pagination_and_archive(db):
    ids = [await make_store(db, A, f"S{i}", 31.2, 121.4) for i in range(5)]
    await make_store(db, B, "X", 30.2, 120.1, address={"line1": "x", "city": "Hangzhou"})
    await data(schema, db, """mutation($input: SetStoreStatusInput!) {
        setStoreStatus(input: $input) { userErrors { code } } }""",
               A, input={"storeId": ids[0], "status": "ARCHIVED"})
    page1 = await data(schema, db, STORES, A, filter={"city": "Shanghai"}, first=2)
    assert page1["stores"]["totalCount"] == 4
    assert page1["stores"]["pageInfo"]["hasNextPage"]
    page2 = await data(schema, db, STORES, A, filter={"city": "Shanghai"}, first=10,
                       after=page1["stores"]["pageInfo"]["endCursor"])
    seen = [e["node"]["id"] for e in page1["stores"]["edges"] + page2["stores"]["edges"]]
    assert sorted(seen) == sorted(ids[1:])
    archived = await data(schema, db, STORES, A, filter={"status": "ARCHIVED"})
    assert [e["node"]["id"] for e in archived["stores"]["edges"]] == [ids[0]]
    by_code = await data(schema, db, STORES, A, filter={"codes": ["S2", "X"]})
    assert by_code["stores"]["totalCount"] == 2


@pytest.mark.parametrize(("instant", "expected"), [
    (datetime(2026, 11, 25, 14, 30, tzinfo=UTC), True),    # 22:30 Wednesday in Shanghai
    (datetime(2026, 11, 25, 17, 30, tzinfo=UTC), True),    # 01:30 Thursday, Wednesday's late shift
    (datetime(2026, 11, 25, 19, 30, tzinfo=UTC), False),   # 03:30 Thursday
    (datetime(2026, 11, 26, 2, 0, tzinfo=UTC), False),     # Thursday 10:00: special day closed
])
def test_open_now_uses_the_store_zone_overnight_and_special_hours(instant, expected):
    store = {"status": "OPEN", "timeZone": "Asia/Shanghai",
             "openingHours": [{"dayOfWeek": d, "opens": "08:00", "closes": "02:00"}
                              for d in range(1, 8)],
             "specialHours": [{"date": "2026-11-26", "closed": True}]}
    assert is_open_at(store, instant) is expected


def test_open_now_is_false_unless_status_open():
    store = {"status": "TEMPORARILY_CLOSED", "timeZone": "UTC",
             "openingHours": [{"dayOfWeek": d, "opens": "00:00", "closes": "00:00"}
                              for d in range(1, 8)]}
    assert not is_open_at(store, datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert is_open_at({**store, "status": "OPEN"}, datetime(2026, 11, 25, 12, tzinfo=UTC))
