"""syncInventory of 10k items vs a raw driver bulk_write of the same changes.

    .venv/bin/python -m bench.inventory.sync [--uri mongodb://…] [--items 10000]

Both start from the same 10k existing rows and set the same onHand values; the raw run
is chunked like ours (FerretDB hangs on update batches of 100+). Target: ours ≥ 0.7 of raw.
"""

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient, UpdateOne

from bench.database import bench_database_uri, server_name
from schema.catalog.collections import INVENTORY, PRODUCTS
from schema.catalog.seed import product_documents, stock_row
from schema.catalog.stocked import add_stocked
from schema.catalog.sync_inventory import sync_inventory
from schema.kernel.bulk import bulk_write_chunked, insert_missing

PARTNER = "ptn_01JBENCHBENCHBENCHBENCHBEN"
STORE = "sto_01JBENCHBENCHBENCHBENCHBEN"


async def _fresh(client: AsyncMongoClient, name: str, count: int):
    await client.drop_database(name)
    db = client[name]
    products = product_documents(count, PARTNER)
    await insert_missing(db[PRODUCTS], products)
    await insert_missing(db[INVENTORY], [stock_row(STORE, p, 5) for p in products])
    await add_stocked(db, STORE, [p["_id"] for p in products])
    return db, products


async def main(uri: str, count: int) -> None:
    client = AsyncMongoClient(uri, tz_aware=True)
    server = await server_name(client)
    when = datetime.now(UTC) + timedelta(days=1)
    db, products = await _fresh(client, "bench_raw", count)
    start = time.perf_counter()
    await bulk_write_chunked(db[INVENTORY], [
        UpdateOne({"_id": f"inv:{STORE}:{p['_id']}"},
                  {"$set": {"onHand": 7, "countedAt": when, "updatedAt": when}})
        for p in products])
    raw = time.perf_counter() - start
    db, products = await _fresh(client, "bench_sync", count)
    items = [{"sku": p["sku"], "onHand": 7, "delta": None, "expectedOnHand": None,
              "occurredAt": when} for p in products]
    start = time.perf_counter()
    by_sku = {p["sku"]: p for p in await db[PRODUCTS].find({"partnerId": PARTNER}).to_list()}
    result = await sync_inventory(db, PARTNER, STORE, items, by_sku)
    ours = time.perf_counter() - start
    assert result["applied"] == count, result["applied"]
    print(f"server: {server}; items: {count}")
    print(f"raw bulk_write: {count / raw:,.0f} items/s ({raw:.2f} s)")
    print(f"syncInventory:  {count / ours:,.0f} items/s ({ours:.2f} s)")
    print(f"ratio: {raw / ours:.2f} of raw (target >= 0.7)")
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    with bench_database_uri(args.uri) as uri:
        asyncio.run(main(uri, args.items))
