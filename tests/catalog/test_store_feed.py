"""``inventoryChanges(storeId)``: the store's own feed pages through that store's changes only,
never answers an empty page with hasMore, and keeps the watermark rules of the partner feed."""

import asyncio
from datetime import timedelta

from pymongo import AsyncMongoClient, monitoring

from schema.catalog import feed
from schema.catalog.collections import CHANGES, LEASES
from schema.catalog.schema import schema
from schema.kernel.context import make_context
from schema.kernel.pagination import encode_cursor
from schema.kernel.time import utcnow
from tests.catalog.test_sync import A, at, sync
from tests.stores.helpers import data, make_store, run

STORE_FEED = """query($store: ID, $after: String, $first: Int) {
  inventoryChanges(storeId: $store, after: $after, first: $first) {
    cursor hasMore changes { onHand product { sku } } } }"""
UPSERT = """mutation($input: UpsertProductsInput!) { upsertProducts(input: $input) {
  userErrors { code } } }"""
SKUS = [f"P{i:02d}" for i in range(30)]


async def page(db, store, after, first):
    out = await data(schema, db, STORE_FEED, A, store=store, after=after, first=first)
    return out["inventoryChanges"]


async def read_all(db, store, first) -> list[dict]:
    pages, after = [], None
    while True:
        found = await page(db, store, after, first)
        pages.append(found)
        assert found["changes"] or not found["hasMore"], "an empty page with hasMore"
        after = found["cursor"]
        if not found["hasMore"]:
            return pages


class _Reads(monitoring.CommandListener):
    """Counts the commands sent for each collection."""

    def __init__(self) -> None:
        self.by_collection: dict[str, int] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command.get(event.command_name)
        if isinstance(name, str):
            self.by_collection[name] = self.by_collection.get(name, 0) + 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def products(db):
    out = await data(schema, db, UPSERT, A, input={"idempotencyKey": "p", "items": [
        {"sku": s, "name": s, "price": {"amount": 100}} for s in SKUS]})
    assert out["upsertProducts"]["userErrors"] == []


async def test_a_store_filter_over_a_large_log_reads_only_that_stores_changes(db):
    await products(db)
    others = [await make_store(db, A, f"O{n}", 31.2, 121.4) for n in range(20)]
    mine = await make_store(db, A, "MINE", 31.2, 121.4)
    for n, store in enumerate(others):
        for minute in range(3):   # 20 stores x 3 syncs x 30 SKUs = 1,800 other changes
            await sync(db, store, [{"sku": s, "onHand": n + minute, "occurredAt": at(minute)}
                                   for s in SKUS])
    await sync(db, mine, [{"sku": s, "onHand": 100 + i, "occurredAt": at(1)}
                          for i, s in enumerate(SKUS[:7])])
    for store in others[:5]:   # more of the others after mine
        await sync(db, store, [{"sku": s, "onHand": 1, "occurredAt": at(9)} for s in SKUS])

    pages = await read_all(db, mine, 2)
    assert [len(p["changes"]) for p in pages] == [2, 2, 2, 1]
    seen = [c["product"]["sku"] for p in pages for c in p["changes"]]
    assert seen == SKUS[:7]   # in order, each once, none of another store's
    assert [c["onHand"] for p in pages for c in p["changes"]] == list(range(100, 107))

    later = await sync(db, mine, [{"sku": "P03", "delta": 5, "occurredAt": at(2)}])
    assert later["applied"] == 1
    more = await page(db, mine, pages[-1]["cursor"], 2)
    assert (more["changes"], more["hasMore"]) == ([{"onHand": 108, "product": {"sku": "P03"}}],
                                                  False)
    store_pages = await db[CHANGES].find({"_id": {"$regex": f"^invpage:{mine}:"}}).to_list()
    assert {e["rowId"].split(":")[1] for p in store_pages for e in p["entries"]} == {mine}
    everything = await read_all(db, None, 1000)   # the partner feed still has them all
    assert sum(len(p["changes"]) for p in everything) >= 20 * 30 + 7


async def test_a_store_page_costs_reads_in_proportion_to_the_page(db, ferretdb):
    """Whatever the other stores wrote, a page of 2 reads one feed page and 2 rows."""
    await products(db)
    others = [await make_store(db, A, f"O{n}", 31.2, 121.4) for n in range(20)]
    mine = await make_store(db, A, "MINE", 31.2, 121.4)
    await sync(db, mine, [{"sku": s, "onHand": 1, "occurredAt": at(1)} for s in SKUS[:4]])
    for store in others:
        await sync(db, store, [{"sku": s, "onHand": 1, "occurredAt": at(1)} for s in SKUS])
    reads = _Reads()
    client: AsyncMongoClient = AsyncMongoClient(ferretdb, event_listeners=[reads])
    try:
        result = await schema.execute(
            STORE_FEED, variable_values={"store": mine, "first": 2},
            context_value=make_context(client[db.name], {"principal": A}))
    finally:
        await client.close()
    assert result.errors is None and len(result.data["inventoryChanges"]["changes"]) == 2
    assert reads.by_collection.get(CHANGES) == 1   # one page of the store's own feed
    assert reads.by_collection.get("inventory", 0) <= 2   # the 2 rows (one $in on MongoDB)


async def test_the_store_feed_waits_for_a_late_writer_and_never_skips_it(db):
    store = "sto_01JSTORE0000000000000000000"
    early = await feed.take_lease(db, store, 1)
    late = await feed.take_lease(db, store, 1)
    await feed.record_changes(db, late, [{"seq": late.low, "rowId": "late"}])
    await feed.release(db, late)
    assert await feed.read_changes(db, store, 0, 10, until_found=True) == ([], 0, False)
    await feed.record_changes(db, early, [{"seq": early.low, "rowId": "early"}])
    await feed.release(db, early)
    found, cursor, more = await feed.read_changes(db, store, 0, 10, until_found=True)
    assert [e["rowId"] for e in found] == ["early", "late"] and not more
    assert cursor == late.low + late.size - 1


async def test_a_crashed_writers_empty_blocks_never_make_an_empty_page_with_more(db):
    store = "sto_01JSTORE0000000000000000000"
    await feed.take_lease(db, store, 300 * feed.BLOCK)   # never records, never releases
    await db[LEASES].update_many({}, {"$set": {"at": utcnow() - feed.LEASE_TTL
                                               - timedelta(seconds=1)}})
    await feed.record_store_changes(db, store, ["row-after-the-crash"])
    found, _, more = await feed.read_changes(db, store, 0, 2, until_found=True)
    assert ([e["rowId"] for e in found], more) == (["row-after-the-crash"], False)


async def test_concurrent_syncs_of_one_store_all_reach_its_feed(db):
    await products(db)
    store = await make_store(db, A, "S1", 31.2, 121.4)
    batches = [[{"sku": s, "onHand": n, "occurredAt": at(n)} for s in SKUS[n::4]]
               for n in range(4)]
    await asyncio.gather(*(sync(db, store, b) for b in batches))
    seen = [c["product"]["sku"] for p in await read_all(db, store, 3) for c in p["changes"]]
    assert sorted(seen) == sorted(SKUS)


async def test_cursors_belong_to_their_feed(db):
    await products(db)
    one = await make_store(db, A, "S1", 31.2, 121.4)
    two = await make_store(db, A, "S2", 31.2, 121.4)
    await sync(db, one, [{"sku": "P00", "onHand": 1, "occurredAt": at(1)}])
    first = await page(db, one, None, 1)
    assert first == await page(db, one, "", 1)   # "" is the start, like null
    for store, cursor in ((two, first["cursor"]), (one, encode_cursor(0)),
                          (None, first["cursor"])):
        result = await run(schema, db, STORE_FEED, A, store=store, after=cursor, first=1)
        [error] = result.errors
        assert error.extensions["code"] == "BAD_USER_INPUT"
        assert error.extensions["argument"] == "after"
