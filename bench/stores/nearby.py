"""nearbyStores over 100k stores vs a brute-force scan of the same documents.

    .venv/bin/python -m bench.stores.nearby [--uri mongodb://…] [--stores 100000]

Prints the server it ran on, p50/p99 of both, and the speed-up (target ≥ 20x).
"""

import argparse
import asyncio
import random
import statistics
import time

from pymongo import AsyncMongoClient

from bench.database import bench_database_uri, server_name
from schema.kernel.context import make_context
from schema.kernel.principal import Principal
from schema.maps.schema import schema
from schema.stores.geo import distance_meters
from schema.stores.seed import store_documents, write_stores

QUERY = """query($near: GeoPointInput!) { nearbyStores(near: $near, radiusMeters: 3000,
  first: 20) { edges { distanceMeters node { id } } } }"""


async def main(uri: str, count: int, runs: int) -> None:
    client = AsyncMongoClient(uri, tz_aware=True)
    db = client["bench_nearby"]
    server = await server_name(client)
    if await db["stores"].estimated_document_count() < count:
        print(f"seeding {count:,} stores into 'bench_nearby' (once: later runs reuse them; "
              "about 15 minutes on FerretDB)", flush=True)
        await client.drop_database("bench_nearby")
        written = [0]

        def progress(n: int) -> None:
            written[0] += n
            if written[0] % 10_000 == 0 or written[0] == count:
                print(f"  {written[0]:,} stores written; geo buckets follow", flush=True)

        await write_stores(db, store_documents(count, "ptn_01JBENCHBENCHBENCHBENCHBEN"),
                           progress)
    principal = Principal("bench", frozenset({"stores:read"}), "ptn_01JBENCHBENCHBENCHBENCHBEN")
    rng = random.Random(1)
    points = [(31.2304 + rng.uniform(-0.2, 0.2), 121.4737 + rng.uniform(-0.2, 0.2))
              for _ in range(runs)]
    fast = []
    for lat, lng in points:
        start = time.perf_counter()
        result = await schema.execute(QUERY, variable_values={"near": {"lat": lat, "lng": lng}},
                                      context_value=make_context(db, {"principal": principal}))
        fast.append(time.perf_counter() - start)
        assert result.errors is None, result.errors
    slow = []
    for lat, lng in points[:3]:
        start = time.perf_counter()
        docs = await db["stores"].find({}, {"location": 1}).to_list()
        near = sorted((d, s["_id"]) for s in docs if (d := distance_meters(
            lat, lng, s["location"]["lat"], s["location"]["lng"])) <= 3000)[:20]
        slow.append(time.perf_counter() - start)
        assert near is not None
    p99 = sorted(fast)[max(0, int(len(fast) * 0.99) - 1)]
    print(f"server: {server}; stores: {count}")
    print(f"nearbyStores (H3): p50 {statistics.median(fast) * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms over {len(fast)} queries")
    print(f"brute-force scan:  p50 {statistics.median(slow) * 1000:.1f} ms over {len(slow)}")
    print(f"speed-up (p50): {statistics.median(slow) / statistics.median(fast):.1f}x "
          "(target >= 20x)")
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    with bench_database_uri(args.uri) as uri:
        asyncio.run(main(uri, args.stores, args.runs))
