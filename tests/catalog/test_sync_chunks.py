"""Batches bigger than one sync chunk, concurrent big batches, and concurrent price syncs."""

import asyncio
import random

from schema.catalog.collections import CHANGES, INVENTORY
from schema.catalog.feed import BLOCK
from schema.catalog.products import product_id_for
from schema.catalog.schema import schema
from schema.catalog.sync_inventory import CHUNK
from schema.kernel.events import PENDING
from tests.catalog.test_sync import A, at, setup, sync
from tests.stores.helpers import data

SIZE = 2 * CHUNK + 137   # three chunks, the last one partial
PRICES = """mutation($input: SyncPricesInput!) { syncPrices(input: $input) {
  applied stale unknownSku userErrors { code } } }"""


async def test_a_batch_of_several_chunks_applies_every_item_once(db):
    skus = tuple(f"S{i:04d}" for i in range(SIZE))
    store_id, _ = await setup(db, skus=skus, threshold=5)
    first = await sync(db, store_id, [{"sku": s, "onHand": 10, "occurredAt": at(1)}
                                      for s in skus])
    assert (first["applied"], first["problems"]) == (SIZE, [])
    # every third item drops below its threshold; two unknown SKUs and one invalid item
    moves = [{"sku": s, "delta": -6 if i % 3 == 0 else 1, "occurredAt": at(2)}
             for i, s in enumerate(skus)]
    moves += [{"sku": "NOPE-1", "delta": 1, "occurredAt": at(2)},
              {"sku": "NOPE-2", "onHand": 1, "occurredAt": at(2)},
              {"sku": "BAD", "onHand": 1, "delta": 1, "occurredAt": at(2)}]
    second = await sync(db, store_id, moves)
    assert (second["applied"], second["unknownSku"], second["invalid"]) == (SIZE, 2, 1)
    rows = await db[INVENTORY].find({}, {"onHand": 1, "sku": 1, "rev": 1}).to_list()
    assert {r["sku"]: (r["onHand"], r["rev"]) for r in rows} == {
        s: (4 if i % 3 == 0 else 11, 2) for i, s in enumerate(skus)}
    markers = await db[PENDING].find({"collection": INVENTORY}).to_list()
    marked = [i for m in markers for i in m["documentIds"]]
    crossing = {r["_id"] for r in rows if r["onHand"] == 4}
    assert len(crossing) == len(range(0, SIZE, 3))
    assert set(marked) == crossing and len(marked) == 2 * len(crossing)   # before and after
    assert len(markers) <= 2 * 3   # one per chunk, twice
    pages = await db[CHANGES].find({}).to_list()
    for key in (A.partner_id, store_id):   # the partner's feed and the store's
        mine = [p for p in pages if p["_id"].startswith(f"invpage:{key}:")]
        seqs = sorted(e["seq"] for page in mine for e in page["entries"])
        assert len(mine) == 6   # one page per chunk, two syncs of three chunks
        assert seqs == [*range(1, SIZE + 1), *range(3 * BLOCK + 1, 3 * BLOCK + SIZE + 1)]


async def test_concurrent_big_batches_of_one_store_converge(db):
    skus = tuple(f"S{i:04d}" for i in range(CHUNK + 50))
    store_id, _ = await setup(db, skus=skus)
    await sync(db, store_id, [{"sku": s, "onHand": 0, "occurredAt": at(1)} for s in skus])
    batches = [[{"sku": s, "delta": 1, "occurredAt": at(10 + n)} for s in skus]
               for n in range(4)]
    results = await asyncio.gather(*(sync(db, store_id, b) for b in batches))
    assert [r["applied"] for r in results] == [len(skus)] * 4
    rows = await db[INVENTORY].find({}, {"onHand": 1, "rev": 1}).to_list()
    assert {(r["onHand"], r["rev"]) for r in rows} == {(4, 5)}


async def test_concurrent_price_syncs_keep_the_newest_price(db):
    await setup(db, skus=("A",))
    minutes = list(range(1, 21))
    random.Random(5).shuffle(minutes)
    outcomes = await asyncio.gather(*(
        data(schema, db, PRICES, A, input={"idempotencyKey": f"p{m}", "items": [
            {"sku": "A", "price": {"amount": 100 * m}, "occurredAt": at(m)}]})
        for m in minutes))
    assert all(o["syncPrices"]["applied"] + o["syncPrices"]["stale"] == 1 for o in outcomes)
    assert sum(o["syncPrices"]["applied"] for o in outcomes) >= 1
    product = await db["products"].find_one({"_id": product_id_for(A.partner_id, "A")})
    assert product["price"]["amount"] == 2000
