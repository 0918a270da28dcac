"""syncInventory of 10k items vs a raw driver bulk_write of the same changes.

    .venv/bin/python -m bench.inventory.sync [--uri mongodb://…] [--items 10000]

Both runs start from the same data (one store stocking ``--items`` products at 5 units,
thresholds at 5) and set the same new counts: 7 units, except every tenth item at 2, which
crosses its threshold (so syncInventory reads those products and writes low-stock events).
The raw run is the driver writing those counts with nothing else: no validation, no reads,
no ordering rules, claims, change feed or events. On FerretDB it goes in chunks of 99 update
statements, one after another (a command of 100 or more never returns there); on MongoDB it
is one ``bulk_write`` call. Both run on uvloop, as ``loopgate serve`` does. Each round
measures both from fresh copies of the data, one right after the other, and the median
ratio over the rounds is the result (the machine is shared, so single runs wobble).
Target: syncInventory at ≥ 0.7 of the raw rate.
"""

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import uvloop
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from bench.database import bench_database_uri, server_name
from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.seed import product_documents, stock_row, write_products
from schema.catalog.stocked import add_stocked
from schema.catalog.sync_inventory import sync_inventory
from schema.kernel.bulk import insert_missing

PARTNER = "ptn_01JBENCHBENCHBENCHBENCHBEN"
STORE = "sto_01JBENCHBENCHBENCHBENCHBEN"
FERRETDB_MAX_STATEMENTS = 99


async def _fresh(client: AsyncMongoClient, name: str, count: int,
                 ) -> tuple[AsyncDatabase, list[dict[str, Any]]]:
    await client.drop_database(name)
    db = client[name]
    products = product_documents(count, PARTNER)
    await write_products(db, products)
    await insert_missing(db[INVENTORY], [stock_row(STORE, p, 5) for p in products])
    await add_stocked(db, STORE, [p["_id"] for p in products])
    await asyncio.sleep(1)  # let the embedded server's _id index keeper see new collections
    return db, products


def _count(index: int) -> int:
    return 2 if index % 10 == 0 else 7


async def _raw(db: AsyncDatabase, products: list[dict[str, Any]], when: datetime,
               ferretdb: bool) -> float:
    operations = [UpdateOne({"_id": inventory_id(STORE, p["_id"])},
                            {"$set": {"onHand": _count(i), "countedAt": when, "updatedAt": when}})
                  for i, p in enumerate(products)]
    chunk = FERRETDB_MAX_STATEMENTS if ferretdb else len(operations)
    start = time.perf_counter()
    for offset in range(0, len(operations), chunk):
        await db[INVENTORY].bulk_write(operations[offset:offset + chunk], ordered=False)
    return time.perf_counter() - start


async def _ours(db: AsyncDatabase, products: list[dict[str, Any]], when: datetime) -> float:
    items = [{"sku": p["sku"], "onHand": _count(i), "delta": None, "expectedOnHand": None,
              "occurredAt": when} for i, p in enumerate(products)]
    start = time.perf_counter()
    result = await sync_inventory(db, PARTNER, STORE, items)
    elapsed = time.perf_counter() - start
    assert result["applied"] == len(items), result
    markers = await db["outbox_pending"].find({}, {"documentIds": 1}).to_list()
    low = {i for m in markers for i in m["documentIds"]}
    assert len(low) == len(range(0, len(items), 10)), len(low)
    return elapsed


async def main(uri: str, count: int, rounds: int) -> None:
    client = AsyncMongoClient(uri, tz_aware=True)
    server = await server_name(client)
    print(f"server: {server}; items: {count} (one store; every tenth crosses its threshold)")
    ratios = []
    for number in range(1, rounds + 1):
        when = datetime.now(UTC) + timedelta(days=number)
        db, products = await _fresh(client, "bench_raw", count)
        raw = await _raw(db, products, when, server.startswith("FerretDB"))
        db, products = await _fresh(client, "bench_sync", count)
        ours = await _ours(db, products, when)
        ratios.append(raw / ours)
        print(f"round {number}: raw bulk_write {count / raw:,.0f} items/s ({raw:.2f} s), "
              f"syncInventory {count / ours:,.0f} items/s ({ours:.2f} s), "
              f"ratio {raw / ours:.2f}")
    print(f"ratio (median of {rounds}): {statistics.median(ratios):.2f} of raw (target >= 0.7)")
    for name in ("bench_raw", "bench_sync"):
        await client.drop_database(name)
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with bench_database_uri(args.uri) as uri, \
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main(uri, args.items, args.rounds))
