"""``stores`` lists over 100k stores vs the query they replaced (a filtered find sorted by
``_id`` plus ``count_documents``).

    .venv/bin/python -m bench.stores.listing [--uri mongodb://…] [--stores 100000]

Prints the server it ran on, p50/p99 of ``stores(first: 1)`` and ``stores(first: 100)`` with
``totalCount``, unfiltered and for one merchant, each page starting at a random point of the
list; the old query's time (one run each by default: about 4 minutes at 100k stores on
FerretDB); and the speed-ups.
"""

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.database import bench_database_uri, server_name
from schema.kernel.context import make_context
from schema.kernel.pagination import encode_cursor
from schema.kernel.principal import Principal
from schema.stores.schema import schema
from schema.stores.seed import store_documents, write_listed_stores

PARTNER = "ptn_01JBENCHBENCHBENCHBENCHBEN"
QUERY = """query($first: Int!, $after: String, $filter: StoreFilter) {
  stores(first: $first, after: $after, filter: $filter) {
    totalCount edges { cursor node { id name status } } pageInfo { hasNextPage } } }"""


async def _seed(client: AsyncMongoClient, db: AsyncDatabase, count: int) -> None:
    if await db["stores"].estimated_document_count() >= count:
        return
    print(f"seeding {count:,} stores into '{db.name}' (once: later runs reuse them)", flush=True)
    await client.drop_database(db.name)
    written = [0]

    def progress(n: int) -> None:
        written[0] += n
        if written[0] % 10_000 == 0 or written[0] == count:
            print(f"  {written[0]:,} stores written", flush=True)

    await write_listed_stores(db, store_documents(count, PARTNER), progress)


def _percentiles(samples: list[float]) -> str:
    p99 = sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]
    return (f"p50 {statistics.median(samples) * 1000:8.1f} ms, p99 {p99 * 1000:8.1f} ms "
            f"over {len(samples)}")


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def main(uri: str, count: int, runs: int, baseline_runs: int) -> None:
    client = AsyncMongoClient(uri, tz_aware=True)
    db = client[f"bench_listing_{count}"]
    server = await server_name(client)
    await _seed(client, db, count)
    principal = Principal("bench", frozenset({"stores:read"}), PARTNER)
    rng = random.Random(1)
    print(f"server: {server}; stores: {count:,}")
    results: dict[str, float] = {}
    for scope, filter_ in (("all", None), (PARTNER, {"merchantId": PARTNER})):
        for first in (1, 100):
            async def listed(first: int = first, scope: str = scope,
                             filter_: dict | None = filter_) -> None:
                after = encode_cursor([scope, rng.randrange(count - first)])
                result = await schema.execute(
                    QUERY, variable_values={"first": first, "after": after, "filter": filter_},
                    context_value=make_context(db, {"principal": principal}))
                assert result.errors is None, result.errors
                page = result.data["stores"]
                assert len(page["edges"]) == first and page["totalCount"] == count

            samples = await _timed(runs, listed)
            label = f"stores(first: {first}){' merchant' if filter_ else ''}"
            results[label] = statistics.median(samples)
            print(f"{label:<28} {_percentiles(samples)}", flush=True)
    for first in (1, 100):
        async def old(first: int = first) -> None:
            query = {"status": {"$ne": "ARCHIVED"}}
            rows = await db["stores"].find(query).sort("_id", 1).limit(first + 1).to_list()
            total = await db["stores"].count_documents(query)
            assert len(rows) == first + 1 and total == count

        samples = await _timed(baseline_runs, old)
        label = f"stores(first: {first})"
        print(f"{'old find + count, first ' + str(first):<28} {_percentiles(samples)}; "
              f"speed-up (p50) {statistics.median(samples) / results[label]:.0f}x", flush=True)
    await client.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--baseline-runs", type=int, default=1)
    args = parser.parse_args()
    with bench_database_uri(args.uri) as uri:
        asyncio.run(main(uri, args.stores, args.runs, args.baseline_runs))
