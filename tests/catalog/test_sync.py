"""ERP sync: ordering rules, CAS, per-item problems, batch refusals, idempotency, tenancy,
low-stock events, the change feed under concurrent writers, prices and availability."""

import asyncio
import random
from datetime import UTC, datetime, timedelta

from schema.catalog.schema import schema
from schema.kernel.events import relay_outboxes
from schema.kernel.pagination import encode_cursor
from tests.stores.helpers import data, make_store, partner, run

A = partner("ptn_01JAAAAAAAAAAAAAAAAAAAAAAA")
B = partner("ptn_01JBBBBBBBBBBBBBBBBBBBBBBB")
T0 = datetime(2026, 11, 25, 8, tzinfo=UTC)

UPSERT = """mutation($input: UpsertProductsInput!) { upsertProducts(input: $input) {
  products { id sku price { amount } } userErrors { code field message } } }"""
SYNC = """mutation($input: SyncInventoryInput!) { syncInventory(input: $input) {
  applied stale unknownSku invalid conflicts
  problems { sku status onHand message } userErrors { code field message } } }"""
LEVELS = """query($rep: [_Any!]!) { _entities(representations: $rep) { ... on Store {
  inventory(first: 100) { edges { node { onHand available product { sku } } } } } } }"""
FEED = """query($after: String, $first: Int) { inventoryChanges(after: $after, first: $first) {
  cursor hasMore changes { onHand product { sku } } } }"""


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def setup(db, owner=A, skus=("A", "B", "C"), threshold=None):
    store_id = await make_store(db, owner, "S1", 31.2, 121.4)
    items = [{"sku": s, "name": s, "price": {"amount": 100}, "lowStockThreshold": threshold}
             for s in skus]
    out = await data(schema, db, UPSERT, owner, input={"items": items, "idempotencyKey": "p1"})
    assert out["upsertProducts"]["userErrors"] == []
    return store_id, {p["sku"]: p["id"] for p in out["upsertProducts"]["products"]}


async def sync(db, store_id, items, key=None, who=A):
    key = key or f"k{random.random()}"
    out = await data(schema, db, SYNC, who,
                     input={"storeId": store_id, "items": items, "idempotencyKey": key})
    return out["syncInventory"]


async def levels(db, store_id, who=A):
    out = await data(schema, db, LEVELS, who, rep=[{"__typename": "Store", "id": store_id}])
    return {e["node"]["product"]["sku"]: e["node"]["onHand"]
            for e in out["_entities"][0]["inventory"]["edges"]}


async def test_counts_and_deltas_follow_the_ordering_rules(db):
    store_id, _ = await setup(db)
    res = await sync(db, store_id, [{"sku": "A", "onHand": 10, "occurredAt": at(10)},
                                    {"sku": "B", "delta": 4, "occurredAt": at(5)},
                                    {"sku": "C", "onHand": -1, "occurredAt": at(1)},
                                    {"sku": "Z", "onHand": 1, "occurredAt": at(1)}])
    assert (res["applied"], res["invalid"], res["unknownSku"]) == (2, 1, 1)
    res = await sync(db, store_id, [{"sku": "A", "onHand": 99, "occurredAt": at(9)},
                                    {"sku": "B", "onHand": 7, "occurredAt": at(3)}])
    assert res["applied"] == 1 and res["stale"] == 1   # A's count is older; B's count is newer…
    assert await levels(db, store_id) == {"A": 10, "B": 11}   # …plus B's later delta
    res = await sync(db, store_id, [{"sku": "A", "delta": -3, "occurredAt": at(8)},
                                    {"sku": "B", "delta": -1, "expectedOnHand": 5,
                                     "occurredAt": at(20)}])
    assert (res["stale"], res["conflicts"]) == (1, 1)
    assert {p["status"] for p in res["problems"]} == {"STALE", "CONFLICT"}
    assert await levels(db, store_id) == {"A": 10, "B": 11}


async def test_batch_refusals_write_nothing(db):
    store_id, _ = await setup(db)
    item = {"sku": "A", "onHand": 1, "occurredAt": at(1)}
    cases = [
        {"storeId": store_id, "items": [item, item]},
        {"storeId": store_id, "items": [{**item, "sku": f"S{i}"} for i in range(10_001)]},
        {"items": [item]},
        {"storeId": store_id, "storeCode": "S1", "items": [item]},
        {"storeCode": "NOPE", "items": [item]},
    ]
    for case in cases:
        out = await data(schema, db, SYNC, A, input={**case, "idempotencyKey": "same"})
        assert out["syncInventory"]["userErrors"], case
        assert out["syncInventory"]["applied"] == 0
    assert await db["inventory"].count_documents({}) == 0
    by_code = await data(schema, db, SYNC, A, input={"storeCode": "S1", "items": [item],
                                                     "idempotencyKey": "same"})
    assert by_code["syncInventory"]["applied"] == 1


async def test_idempotency_key_replays_and_refuses_reuse(db):
    store_id, _ = await setup(db)
    items = [{"sku": "A", "delta": 5, "occurredAt": at(1)}]
    first = await sync(db, store_id, items, key="k1")
    again = await sync(db, store_id, items, key="k1")
    assert first == again and await levels(db, store_id) == {"A": 5}
    other = await sync(db, store_id, [{**items[0], "delta": 6}], key="k1")
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await levels(db, store_id) == {"A": 5}
    assert (await db["idempotency_keys"].find_one({}))["expiresAt"] > datetime.now(UTC)


async def test_tenancy_of_stock(db):
    store_id, _ = await setup(db)
    await sync(db, store_id, [{"sku": "A", "onHand": 3, "occurredAt": at(1)}])
    result = await run(schema, db, LEVELS, B, rep=[{"__typename": "Store", "id": store_id}])
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
    assert result.data["_entities"][0]["inventory"] is None
    refused = await sync(db, store_id, [{"sku": "A", "onHand": 0, "occurredAt": at(2)}], who=B)
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"
    assert await levels(db, store_id) == {"A": 3}
    prices = await data(schema, db, UPSERT, B, input={"items": [
        {"sku": "A", "name": "hijack", "price": {"amount": 1}}], "idempotencyKey": "x"})
    assert (await db["products"].find_one({"partnerId": A.partner_id, "sku": "A"}))["name"] == "A"
    assert prices["upsertProducts"]["products"][0]["id"] != (
        await db["products"].find_one({"partnerId": A.partner_id, "sku": "A"}))["_id"]


async def test_concurrent_shuffled_syncs_converge(db):
    store_id, _ = await setup(db, skus=("A",))
    counts = [{"sku": "A", "onHand": 10 * i, "occurredAt": at(i * 10)} for i in range(1, 6)]
    deltas = [{"sku": "A", "delta": d, "occurredAt": at(m)}
              for d, m in ((1, 5), (2, 15), (3, 35), (4, 45), (5, 55), (6, 56))]
    batches = [[item] for item in counts + deltas]
    random.Random(11).shuffle(batches)
    await asyncio.gather(*(sync(db, store_id, b) for b in batches))
    # newest count (50 at minute 50) plus every delta after it (5 + 6)
    assert await levels(db, store_id) == {"A": 61}


async def test_feed_misses_nothing_under_concurrent_writers(db):
    skus = tuple(f"P{i}" for i in range(30))
    store_id, _ = await setup(db, skus=skus)
    seen: set[str] = set()
    cursor = None

    async def writer(w: int) -> None:
        for n in range(3):
            await sync(db, store_id, [{"sku": s, "delta": 1, "occurredAt": at(w * 10 + n)}
                                      for s in skus[w * 6:(w + 1) * 6]])

    async def reader() -> None:
        nonlocal cursor
        out = (await data(schema, db, FEED, A, after=cursor, first=7))["inventoryChanges"]
        seen.update(c["product"]["sku"] for c in out["changes"])
        cursor = out["cursor"]

    tasks = [asyncio.create_task(writer(w)) for w in range(5)]
    while not all(t.done() for t in tasks):
        await reader()
    await asyncio.gather(*tasks)
    for _ in range(20):
        await reader()
    assert seen == set(skus)
    final = (await data(schema, db, FEED, A, after=cursor))["inventoryChanges"]
    assert final["changes"] == [] and not final["hasMore"]


async def test_feed_bad_input_is_typed_and_the_first_limit_is_1000(db):
    store_id, _ = await setup(db)
    await sync(db, store_id, [{"sku": s, "onHand": 3, "occurredAt": at(1)} for s in "ABC"])
    store_of_b, _ = await setup(db, owner=B)
    for variables in ({"first": 1001}, {"first": 0}, {"after": "not a cursor!"},
                      {"after": encode_cursor("seven")}, {"after": encode_cursor(-1)}):
        result = await run(schema, db, FEED, A, **variables)
        assert result.errors[0].extensions["code"] == "BAD_USER_INPUT", variables
    of_store = "query($s: ID) { inventoryChanges(storeId: $s) { cursor } }"
    foreign = await run(schema, db, of_store, A, s=store_of_b)
    assert foreign.errors[0].extensions["code"] == "FORBIDDEN"
    page = (await data(schema, db, FEED, A, first=1000))["inventoryChanges"]
    assert sorted(c["product"]["sku"] for c in page["changes"]) == ["A", "B", "C"]


async def test_low_stock_event_is_written_with_the_change_and_relayed(db):
    store_id, _ = await setup(db, skus=("A",), threshold=5)
    await sync(db, store_id, [{"sku": "A", "onHand": 10, "occurredAt": at(1)}])
    await sync(db, store_id, [{"sku": "A", "delta": -6, "occurredAt": at(2)}])
    row = await db["inventory"].find_one({})
    assert [e["topic"] for e in row["outbox"]] == ["inventory.low_stock"]
    assert await relay_outboxes(db) >= 1   # the store's own store.updated events go too
    event = await db["events"].find_one({"topic": "inventory.low_stock"})
    assert event["partnerId"] == A.partner_id and event["data"]["available"] == 4
    assert event["resource"] == {"type": "InventoryLevel", "id": row["_id"]}
    assert (await db["inventory"].find_one({}))["outbox"] == []
    assert await relay_outboxes(db) == 0


async def test_prices_follow_the_ordering_rule(db):
    await setup(db)
    query = """mutation($input: SyncPricesInput!) { syncPrices(input: $input) {
      applied stale unknownSku userErrors { code } } }"""
    out = await data(schema, db, query, A, input={"idempotencyKey": "p", "items": [
        {"sku": "A", "price": {"amount": 500}, "occurredAt": at(10)},
        {"sku": "Q", "price": {"amount": 1}, "occurredAt": at(10)}]})
    assert out["syncPrices"] == {"applied": 1, "stale": 0, "unknownSku": 1, "userErrors": []}
    out = await data(schema, db, query, A, input={"idempotencyKey": "p2", "items": [
        {"sku": "A", "price": {"amount": 400}, "occurredAt": at(5)}]})
    assert out["syncPrices"]["stale"] == 1
    assert (await db["products"].find_one({"sku": "A"}))["price"]["amount"] == 500


async def test_an_invalid_price_is_reported_and_the_rest_apply(db):
    await setup(db)
    query = """mutation($input: SyncPricesInput!) { syncPrices(input: $input) {
      applied problems { sku status } userErrors { code } } }"""
    out = await data(schema, db, query, A, input={"idempotencyKey": "p", "items": [
        {"sku": "A", "price": {"amount": -5}, "occurredAt": at(10)},
        {"sku": "B", "price": {"amount": 250}, "occurredAt": at(10)}]})
    assert out["syncPrices"] == {"applied": 1, "userErrors": [],
                                 "problems": [{"sku": "A", "status": "INVALID"}]}
    prices = {p["sku"]: p["price"]["amount"] for p in await db["products"].find().to_list()}
    assert prices == {"A": 100, "B": 250, "C": 100}


async def test_availability_near_a_point(db):
    store_id, ids = await setup(db, skus=("A",))
    await sync(db, store_id, [{"sku": "A", "onHand": 7, "occurredAt": at(1)}])
    other = await make_store(db, A, "S2", 31.21, 121.4)
    out = await data(schema, db, """query($id: ID!) { product(id: $id) {
      availability(near: {lat: 31.2, lng: 121.4}, radiusMeters: 5000) {
        store { id } distanceMeters available } } }""", partner(B.partner_id, "catalog:read"),
                     id=ids["A"])
    assert out["product"]["availability"] == [
        {"store": {"id": store_id}, "distanceMeters": 0, "available": 7}]
    assert other


async def test_nearby_in_stock_filter(db):
    from schema.maps.schema import schema as maps

    store_id, ids = await setup(db, skus=("A",))
    empty = await make_store(db, A, "S2", 31.2005, 121.4)
    await make_store(db, B, "OTHER", 31.2001, 121.4)
    await sync(db, store_id, [{"sku": "A", "onHand": 2, "occurredAt": at(1)}])
    query = """query($f: NearbyFilter) { nearbyStores(near: {lat: 31.2, lng: 121.4},
      radiusMeters: 1000, filter: $f) { edges { node { id } } } }"""
    need = {"inStock": [{"productId": ids["A"], "quantity": 2}]}
    out = await data(maps, db, query, B, f=need)
    assert [e["node"]["id"] for e in out["nearbyStores"]["edges"]] == [store_id]
    need["inStock"][0]["quantity"] = 3
    assert (await data(maps, db, query, B, f=need))["nearbyStores"]["edges"] == []
    everything = await data(maps, db, query, B, f=None)
    assert empty in {e["node"]["id"] for e in everything["nearbyStores"]["edges"]}


async def test_a_changed_threshold_is_used_even_where_rows_keep_the_old_copy(db):
    store_id, _ = await setup(db, skus=("A",), threshold=5)
    await sync(db, store_id, [{"sku": "A", "onHand": 30, "occurredAt": at(1)}])
    row = await db["inventory"].find_one({})
    assert (row["threshold"], row["thresholdAt"]) == (5, None)   # the copy a sync keeps
    out = await data(schema, db, UPSERT, A, input={"idempotencyKey": "p2", "items": [
        {"sku": "A", "name": "A", "price": {"amount": 100}, "lowStockThreshold": 25}]})
    assert out["upsertProducts"]["userErrors"] == []
    await sync(db, store_id, [{"sku": "A", "onHand": 20, "occurredAt": at(2)}])
    row = await db["inventory"].find_one({})
    assert [e["data"]["threshold"] for e in row["outbox"]] == [25]
    assert row["threshold"] == 25 and row["thresholdAt"] is not None
