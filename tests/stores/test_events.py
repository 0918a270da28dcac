"""store.updated events: written with each change, numbered 1, 2, 3 … per store whatever the
relay rewrites, relayed once, none for a no-op; concurrent writers of one store lose nothing
and leave no gap; another partner's change is refused without an event."""

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.events import EVENTS, PENDING, relay_outboxes
from schema.kernel.graphql_types import AddressInput, FulfillmentType, GeoPointInput
from schema.stores import geo, repository
from schema.stores.inputs import OpeningHoursInput, UpsertStoreInput
from schema.stores.schema import schema
from tests.kernel.test_events import settle
from tests.stores.helpers import data, make_store, partner, store_input

A = partner("ptn_01JAAAAAAAAAAAAAAAAAAAAAAA")
B = partner("ptn_01JBBBBBBBBBBBBBBBBBBBBBBB")

SET_STATUS = """mutation($input: SetStoreStatusInput!) {
  setStoreStatus(input: $input) { store { status } userErrors { code } } }"""
UPSERT = """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
  store { id name } userErrors { code } } }"""


def fields(code: str, name: str = "Store",
           at: tuple[float, float] = (31.2, 121.4)) -> dict[str, Any]:
    """Store fields as the upsert mutation hands them to the repository."""
    return UpsertStoreInput(
        code=code, name=name, address=AddressInput(line1="1 Road", city="Shanghai"),
        location=GeoPointInput(lat=at[0], lng=at[1]),
        opening_hours=[OpeningHoursInput(day_of_week=d, opens="08:00", closes="22:00")
                       for d in range(1, 8)],
        services=[FulfillmentType.PICKUP]).to_document()


async def store_doc(db: AsyncDatabase, store_id: str) -> dict[str, Any]:
    doc = await db["stores"].find_one({"_id": store_id})
    assert doc is not None
    return doc


async def test_each_change_writes_one_event_that_the_relay_moves_once(db):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    await data(schema, db, UPSERT, A, input=store_input("S1", 31.2, 121.4, name="Renamed"))
    await data(schema, db, SET_STATUS, A, input={"storeId": store_id, "status": "CLOSED"})
    await data(schema, db, SET_STATUS, A, input={"storeId": store_id, "status": "ARCHIVED"})

    doc = await store_doc(db, store_id)
    outbox = doc["outbox"]
    assert doc["rev"] == 4
    assert [e["sequence"] for e in outbox] == [1, 2, 3, 4]
    assert outbox[0]["data"]["created"] is True
    assert {"name", "location", "openingHours", "status"} <= set(outbox[0]["data"]["changed"])
    assert [e["data"]["changed"] for e in outbox[1:]] == [["name"], ["status"], ["status"]]
    assert [e["data"]["status"] for e in outbox] == ["OPEN", "OPEN", "CLOSED", "ARCHIVED"]
    assert await db[PENDING].count_documents({"documentIds": store_id}) == 8   # 2 a write

    assert await relay_outboxes(db) == 4
    assert await relay_outboxes(db) == 0
    await settle(db)
    assert await relay_outboxes(db) == 0
    events = await db[EVENTS].find({}).sort("sequence", 1).to_list()
    assert [e["_id"] for e in events] == [e["_id"] for e in outbox]
    for event in events:
        assert event["topic"] == "store.updated"
        assert event["partnerId"] == A.partner_id
        assert event["resource"] == {"type": "Store", "id": store_id}
    assert [e["data"] for e in events] == [e["data"] for e in outbox]
    assert (await store_doc(db, store_id))["outbox"] == []
    assert await db[PENDING].count_documents({}) == 0


async def test_a_change_that_changes_nothing_writes_no_event(db):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    await relay_outboxes(db)
    before = await store_doc(db, store_id)
    markers = await db[PENDING].count_documents({})

    await make_store(db, A, "S1", 31.2, 121.4)
    out = await data(schema, db, SET_STATUS, A, input={"storeId": store_id, "status": "OPEN"})
    assert out["setStoreStatus"] == {"store": {"status": "OPEN"}, "userErrors": []}

    after = await store_doc(db, store_id)
    assert after["rev"] == before["rev"]
    assert after["outbox"] == []
    assert await db[PENDING].count_documents({}) == markers
    assert await relay_outboxes(db) == 0
    assert await db[EVENTS].count_documents({}) == 1


async def test_concurrent_upserts_and_status_changes_lose_nothing(db):
    created = await repository.upsert_store(db, A, fields("S1"))
    store_id = created["_id"]
    names = [f"Name {i}" for i in range(8)]
    statuses = ["CLOSED", "OPEN", "TEMPORARILY_CLOSED", "OPEN", "CLOSED", "ARCHIVED", "OPEN",
                "CLOSED"]
    results = await asyncio.gather(
        *(repository.upsert_store(db, A, fields("S1", name=n)) for n in names),
        *(repository.set_status(db, A, store_id, s) for s in statuses))
    assert all(errors == [] for _, errors in results[len(names):])

    doc = await store_doc(db, store_id)
    outbox = doc["outbox"]
    assert sorted(e["sequence"] for e in outbox) == list(range(1, doc["rev"] + 1))
    assert len({e["_id"] for e in outbox}) == len(outbox) == doc["rev"] == doc["eventSequence"]
    renames = [e for e in outbox if e["data"]["changed"] == ["name"]]
    assert len(renames) == len(names)  # every upsert renamed: none was lost or merged

    status = "OPEN"
    for event in sorted(outbox, key=lambda e: e["sequence"])[1:]:
        if "status" in event["data"]["changed"]:
            assert event["data"]["status"] != status
        else:  # an upsert keeps the status it found: it never undoes a status change
            assert event["data"]["status"] == status
        status = event["data"]["status"]
    assert doc["status"] == status
    upserted = list(results[:len(names)])
    assert len({u["rev"] for u in upserted}) == len(names)
    assert doc["name"] == max(upserted, key=lambda u: u["rev"])["name"]  # the last write won

    assert await relay_outboxes(db) == doc["rev"]
    relayed = await db[EVENTS].find({"resource.id": store_id}).to_list()
    assert sorted(e["sequence"] for e in relayed) == list(range(1, doc["rev"] + 1))

    # the relay's pull took a revision; the next event still has the next number
    _, errors = await repository.set_status(db, A, store_id, "OPEN" if status != "OPEN"
                                            else "CLOSED")
    assert errors == [] and await relay_outboxes(db) == 1
    relayed = await db[EVENTS].find({"resource.id": store_id}).to_list()
    assert sorted(e["sequence"] for e in relayed) == list(range(1, doc["rev"] + 2))
    assert (await store_doc(db, store_id))["rev"] == doc["rev"] + 3   # two of them pulls


async def test_another_partners_change_is_refused_and_writes_no_event(db):
    store_id = await make_store(db, A, "S1", 31.2, 121.4)
    out = await data(schema, db, SET_STATUS, B, input={"storeId": store_id, "status": "CLOSED"})
    assert out["setStoreStatus"]["userErrors"] == [{"code": "FORBIDDEN"}]
    doc = await store_doc(db, store_id)
    assert (doc["rev"], doc["status"], len(doc["outbox"])) == (1, "OPEN", 1)
    await relay_outboxes(db)
    assert [e["partnerId"] for e in await db[EVENTS].find({}).to_list()] == [A.partner_id]


async def listings(db: AsyncDatabase, store_id: str) -> list[tuple[str, float, float]]:
    """Every entry of the store in the geo buckets: (bucket, lat, lng), sorted."""
    found = []
    for res in geo.RESOLUTIONS:
        for bucket in await db[f"{geo.BUCKETS}_{res}"].find({}).to_list():
            found += [(bucket["_id"], e["a"], e["o"]) for e in bucket["s"] if e["i"] == store_id]
    return sorted(found)


async def test_concurrent_moves_leave_the_store_only_in_its_final_buckets(db):
    store_id = (await repository.upsert_store(db, A, fields("S1")))["_id"]
    places = [(31.0 + 0.1 * i, 121.0 + 0.1 * i) for i in range(4)]
    moves = [places[i] for i in (0, 1, 0, 2, 1, 3, 0, 2)]  # some moves return to a place
    await asyncio.gather(*(repository.upsert_store(db, A, fields("S1", at=spot))
                           for spot in moves))
    doc = await store_doc(db, store_id)
    final = {geo.bucket_id(int(res), cell) for res, cell in doc["h3"].items()}
    lat, lng = doc["location"]["lat"], doc["location"]["lng"]
    assert await listings(db, store_id) == sorted((b, lat, lng) for b in final)
