"""Store lists read from listing pages: creation order, stable cursors while stores are added,
maintained totals under concurrency and after crashes, bounded filtered reads."""

import asyncio
from datetime import timedelta

import pytest

from schema.kernel.graphql_types import AddressInput, FulfillmentType, GeoPointInput
from schema.stores import listing, repository
from schema.stores.inputs import OpeningHoursInput, UpsertStoreInput
from schema.stores.schema import schema
from schema.stores.seed import store_documents, write_stores
from tests.stores.helpers import data, make_store, partner, run

A = partner("ptn_01JAAAAAAAAAAAAAAAAAAAAAAA")
B = partner("ptn_01JBBBBBBBBBBBBBBBBBBBBBBB")

STORES = """query($filter: StoreFilter, $first: Int, $after: String) {
  stores(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id code status } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
IDS = """query($filter: StoreFilter, $first: Int, $after: String) {
  stores(filter: $filter, first: $first, after: $after) {
    edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
SET_STATUS = """mutation($input: SetStoreStatusInput!) {
  setStoreStatus(input: $input) { store { status } userErrors { code field message } } }"""


async def _set_status(db, owner, store_id: str, status: str) -> dict:
    out = await data(schema, db, SET_STATUS, owner, input={"storeId": store_id, "status": status})
    return out["setStoreStatus"]


async def _all_pages(db, first: int, **filter_) -> list[str]:
    """Every store id of a list, following endCursor until hasNextPage is false."""
    seen, after = [], None
    for _ in range(1000):
        page = (await data(schema, db, IDS, A, filter=filter_ or None, first=first,
                           after=after))["stores"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the list never ended")


async def _total(db, **filter_) -> int:
    out = await data(schema, db, STORES, A, filter=filter_ or None, first=1)
    return out["stores"]["totalCount"]


async def test_stores_are_listed_oldest_first_and_cursors_survive_new_stores(db):
    made = [await make_store(db, A if i % 2 else B, f"S{i}", 31.2, 121.4) for i in range(5)]
    first = (await data(schema, db, STORES, A, first=2))["stores"]
    assert [e["node"]["id"] for e in first["edges"]] == made[:2]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    later = [await make_store(db, A, f"T{i}", 31.2, 121.4) for i in range(3)]
    rest = (await data(schema, db, STORES, A, first=100,
                       after=first["pageInfo"]["endCursor"]))["stores"]
    assert [e["node"]["id"] for e in rest["edges"]] == made[2:] + later
    assert not rest["pageInfo"]["hasNextPage"] and rest["pageInfo"]["hasPreviousPage"]
    assert rest["totalCount"] == 8
    mine = await _all_pages(db, 2, merchantId=A.partner_id)
    assert mine == [made[1], made[3], *later]
    assert await _total(db, merchantId=A.partner_id) == 5
    assert await _total(db, merchantId=B.partner_id) == 3


async def test_lists_span_many_pages_in_order(db, monkeypatch):
    monkeypatch.setattr(listing, "BLOCK", 3)
    made = [await make_store(db, A, f"S{i:02d}", 31.2, 121.4) for i in range(11)]
    assert await _all_pages(db, 4) == made
    assert await _all_pages(db, 1, merchantId=A.partner_id) == made
    assert await db[listing.LISTING].count_documents({}) == 8   # 4 pages in each listing


async def test_totals_follow_archiving_and_unarchiving(db):
    ids = [await make_store(db, A, f"S{i}", 31.2, 121.4) for i in range(4)]
    await make_store(db, B, "X", 31.2, 121.4)
    assert await _total(db) == 5
    assert (await _set_status(db, A, ids[0], "ARCHIVED"))["userErrors"] == []
    await _set_status(db, A, ids[1], "CLOSED")   # closed stores are still listed
    assert await _total(db) == 4
    assert await _total(db, merchantId=A.partner_id) == 3
    assert ids[0] not in await _all_pages(db, 2)
    assert await _all_pages(db, 2, status="ARCHIVED") == [ids[0]]
    await _set_status(db, A, ids[0], "OPEN")
    assert await _total(db) == 5
    assert await _all_pages(db, 2, merchantId=A.partner_id) == ids   # back in its place


async def test_concurrent_creations_are_each_listed_and_counted_once(db):
    codes = [f"C{i}" for i in range(12)]
    owners = [A, B]
    await asyncio.gather(
        *(make_store(db, owners[i % 2], code, 31.2, 121.4) for i, code in enumerate(codes)),
        *(make_store(db, A, "SAME", 31.2, 121.4) for _ in range(4)))   # one store, four upserts
    listed = await _all_pages(db, 5)
    assert len(listed) == len(set(listed)) == 13
    assert await _total(db) == 13
    assert await _total(db, merchantId=A.partner_id) == 7
    assert await _total(db, merchantId=B.partner_id) == 6
    stores = await repository.get_stores(db, listed)   # (each listing has its own order)
    assert sorted(await _all_pages(db, 3, merchantId=B.partner_id)) == sorted(
        s["_id"] for s in stores if s["partnerId"] == B.partner_id)


async def test_concurrent_status_changes_leave_the_count_of_the_final_status(db):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    await make_store(db, A, "S2", 31.2, 121.4)
    for _ in range(3):
        await asyncio.gather(*(repository.set_status(db, A, store_id, s) for s in
                               ["ARCHIVED", "OPEN", "ARCHIVED", "CLOSED", "ARCHIVED", "OPEN"]))
        status = (await repository.get_store(db, store_id))["status"]
        expected = 1 if status == "ARCHIVED" else 2
        assert await _total(db) == expected
        assert await _total(db, merchantId=A.partner_id) == expected
        assert (store_id in await _all_pages(db, 10)) == (status != "ARCHIVED")


async def test_a_count_left_owing_by_a_dead_writer_is_settled_by_the_next_reader(
        db, monkeypatch):
    await make_store(db, A, "S1", 31.2, 121.4)
    settle = listing._settle

    died = asyncio.Event()

    async def dies(*_args: object) -> None:
        await died.wait()   # both pages' writers get here, then die
        raise ConnectionError("the writer died here")

    monkeypatch.setattr(listing, "_settle", dies)
    writing = asyncio.create_task(repository.upsert_store(db, A, _fields("S2")))
    for _ in range(500):
        owing = {p["_id"]: p["pending"] for p in await db[listing.LISTING].find({}).to_list()}
        if all(owing.values()):
            break
        await asyncio.sleep(0.01)
    died.set()
    with pytest.raises(ConnectionError):
        await writing
    monkeypatch.setattr(listing, "_settle", settle)
    assert sorted(owing) == ["list:all:0", f"list:{A.partner_id}:0"]
    assert all(len(pending) == 1 for pending in owing.values())
    assert await listing.listed_count(db, listing.ALL) == 1       # the add never happened
    assert len(await _all_pages(db, 10)) == 2                     # a reader settles it
    assert len(await _all_pages(db, 10, merchantId=A.partner_id)) == 2
    assert await _total(db) == 2
    assert await _total(db, merchantId=A.partner_id) == 2
    pages = await db[listing.LISTING].find({}).to_list()
    assert all(p["pending"] == [] for p in pages)
    for page, pending in owing.items():   # settling again (a late reader) counts nothing
        await settle(db, page, pending)
    assert await _total(db) == 2
    assert await _total(db, merchantId=A.partner_id) == 2


async def _archive_and_die_before_listing(db, monkeypatch, store_id: str) -> None:
    record = listing.record

    async def dies(*_args: object) -> None:
        raise ConnectionError("the writer died here")

    monkeypatch.setattr(listing, "record", dies)
    with pytest.raises(ConnectionError):
        await repository.set_status(db, A, store_id, "ARCHIVED")
    monkeypatch.setattr(listing, "record", record)


async def test_lists_a_dead_writer_left_stale_are_repaired_once_its_mark_is_old(
        db, monkeypatch):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    other = await make_store(db, A, "S2", 31.2, 121.4)
    await _archive_and_die_before_listing(db, monkeypatch, store_id)
    assert (await repository.get_store(db, store_id))["status"] == "ARCHIVED"
    assert await _all_pages(db, 10) == [store_id, other]      # the copy is still the old one
    assert await repository.repair_listing(db) == 0           # its writer may still be alive
    monkeypatch.setattr(listing, "REPAIR_AFTER", timedelta(0))
    assert await repository.repair_listing(db) == 1
    assert await _all_pages(db, 10) == [other]
    assert await _total(db) == 1
    assert await _total(db, merchantId=A.partner_id) == 1
    assert await _all_pages(db, 10, status="ARCHIVED") == [store_id]
    assert await repository.repair_listing(db) == 0           # nothing left marked


async def test_a_retry_of_a_change_whose_listing_write_died_repairs_it(db, monkeypatch):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    await _archive_and_die_before_listing(db, monkeypatch, store_id)
    assert await _total(db) == 1
    assert (await _set_status(db, A, store_id, "ARCHIVED"))["userErrors"] == []   # the retry
    assert await _total(db) == 0
    assert await _all_pages(db, 10) == []


async def test_list_copies_follow_every_change_of_a_store(db):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    await make_store(db, A, "S1", 31.3, 121.5, name="Renamed", services=["DINE_IN"])
    edge = (await data(schema, db, """{ stores(first: 1) { edges { node {
        id name location { lat } services updatedAt } } } }""", A))["stores"]["edges"][0]
    store = (await data(schema, db, """query($id: ID!) { store(id: $id) {
        id name location { lat } services updatedAt } }""", A, id=store_id))["store"]
    assert edge["node"] == store
    assert store["name"] == "Renamed" and store["services"] == ["DINE_IN"]


async def test_filters_read_a_bounded_number_of_pages_and_continue_from_there(
        db, monkeypatch):
    monkeypatch.setattr(listing, "BLOCK", 2)
    monkeypatch.setattr(listing, "MAX_SCAN_PAGES", 2)
    hangzhou = {"address": {"line1": "x", "city": "Hangzhou"}}
    made = []
    for i in range(12):
        extra = hangzhou if i in (1, 9, 10) else {}
        made.append(await make_store(db, A, f"S{i:02d}", 31.2, 121.4, **extra))
    first = (await data(schema, db, IDS, A, filter={"city": "Hangzhou"}, first=5))["stores"]
    assert [e["node"]["id"] for e in first["edges"]] == [made[1]]   # 4 stores read: then stop
    assert first["pageInfo"]["hasNextPage"]
    assert await _all_pages(db, 5, city="Hangzhou") == [made[1], made[9], made[10]]
    assert await _all_pages(db, 1, city="Hangzhou") == [made[1], made[9], made[10]]
    assert await _total(db, city="Hangzhou") == 1      # counted over the first 4 stores only


async def test_other_filters_match_and_count_exactly_on_small_lists(db):
    ids = [await make_store(db, A, f"S{i}", 31.2, 121.4, services=["PICKUP"]) for i in range(3)]
    ids.append(await make_store(db, B, "S0", 30.2, 120.1, services=["DELIVERY"],
                                address={"line1": "x", "city": "Hangzhou"}))
    await _set_status(db, A, ids[0], "CLOSED")
    assert await _all_pages(db, 2, service="DELIVERY") == [ids[3]]
    assert await _all_pages(db, 2, status="CLOSED") == [ids[0]]
    assert await _all_pages(db, 2, codes=["S0", "S2"]) == [ids[0], ids[2], ids[3]]
    assert await _all_pages(db, 2, codes=["S0"], merchantId=B.partner_id) == [ids[3]]
    assert await _total(db, codes=["S0", "S2"]) == 3
    assert await _total(db, city="Shanghai", service="PICKUP") == 3
    assert await _total(db, status="ARCHIVED") == 0


async def test_bad_cursors_and_merchant_ids_are_refused(db):
    await make_store(db, A, "S1", 31.2, 121.4)
    await make_store(db, A, "S2", 31.2, 121.4)
    page = (await data(schema, db, IDS, A, first=1))["stores"]
    other_list = await run(schema, db, IDS, A, filter={"merchantId": A.partner_id},
                           after=page["pageInfo"]["endCursor"])
    assert other_list.errors[0].extensions["code"] == "BAD_USER_INPUT"
    for cursor in ("bm9wZQ", "WyJhbGwiLCItMSJd"):
        result = await run(schema, db, IDS, A, after=cursor)
        assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    result = await run(schema, db, IDS, A, filter={"merchantId": "all"})
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    assert (await data(schema, db, IDS, A, after=""))["stores"]["edges"]


async def test_set_status_errors_point_at_the_input(db):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    missing = "sto_01JZZZZZZZZZZZZZZZZZZZZZZZ"
    assert (await _set_status(db, A, missing, "CLOSED"))["userErrors"] == [
        {"code": "NOT_FOUND", "field": ["input", "storeId"], "message": "no such store"}]
    forbidden = (await _set_status(db, B, store_id, "CLOSED"))["userErrors"]
    assert [(e["code"], e["field"]) for e in forbidden] == [("FORBIDDEN", ["input", "storeId"])]


async def test_a_store_from_before_lists_gets_numbers_and_is_listed_on_its_next_write(db):
    store = store_documents(1, A.partner_id)[0]   # written as before lists existed:
    await db[repository.STORES].insert_one(store)   # no listing numbers, no list entries
    await db[repository.STORE_CODES].insert_one(
        {"_id": repository.code_key(A.partner_id, store["code"]), "storeId": store["_id"]})
    old = store["_id"]
    assert await _all_pages(db, 10) == []
    await _set_status(db, A, old, "CLOSED")
    new = await make_store(db, A, "NEW", 31.2, 121.4)
    assert await _all_pages(db, 10) == [old, new]
    assert await _total(db) == 2


async def test_seeding_lists_each_store_once_however_often_it_runs(db):
    documents = store_documents(30, A.partner_id)
    await write_stores(db, documents[:20])
    await write_stores(db, documents)
    listed = await _all_pages(db, 7)
    assert listed == [d["_id"] for d in documents]
    assert await _total(db) == 30
    await _set_status(db, A, listed[0], "ARCHIVED")
    assert await _total(db, merchantId=A.partner_id) == 29


def _fields(code: str) -> dict:
    """Store fields as the upsert mutation hands them to the repository."""
    return UpsertStoreInput(
        code=code, name="Store", address=AddressInput(line1="1 Road", city="Shanghai"),
        location=GeoPointInput(lat=31.2, lng=121.4),
        opening_hours=[OpeningHoursInput(day_of_week=d, opens="08:00", closes="22:00")
                       for d in range(1, 8)],
        services=[FulfillmentType.PICKUP]).to_document()
