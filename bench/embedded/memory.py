"""Peak memory of the embedded FerretDB, with and without its Go memory limit.

    .venv/bin/python -m bench.embedded.memory [--stock-stores 100] [--items 10000]

For each setting (``GOMEMLIMIT=off``, the baseline, then Loopgate's default
:data:`gateway.embedded.server.MEMORY_LIMIT`) it starts a fresh embedded FerretDB, loads the
demo data (all 2,000 stores and 500 products; stock in ``--stock-stores`` of the stores),
and samples the process's resident memory (``VmRSS``, every 20 ms) through two workloads:

* ``syncInventory``: one 10,000-item sync of one store, as ``bench.inventory.sync`` runs it;
* ``heaviest``: the heaviest operations the default operation limits let one app send: for
  each expensive list field of the graph, as many aliases of it at a large page as the
  cost, alias and root-field ceilings allow (one more is refused), sent by one app as many at
  once as it may have operations in flight, through the gateway and the platform subgraphs and
  its in-flight allowance (operations and their estimated cost): how they ended (answered,
  refused with 429, or stopped by the time budget) is printed beside the peak.

Printed: each workload's peak and its resident size afterwards under both settings, and the
ratio limit/baseline. The machine is shared, so times move between runs; the peaks are what
this measures.
"""

import argparse
import asyncio
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, parse
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.inventory.sync import _fresh, _ours
from gateway.config import Settings
from gateway.demo import demo_steps
from gateway.embedded import server
from gateway.embedded.id_index import IdIndexKeeper
from gateway.federation import Supergraph
from gateway.limits import (
    ConcurrencyLimiter,
    LimitExceeded,
    OperationGuard,
    OperationLimits,
    fragments_of,
    measure,
)
from gateway.platform import compose_platform, platform_router
from gateway.service import Gateway, GraphQLRequest
from partners.demo import demo_partner_id
from schema.kernel.principal import Principal
from schema.kernel.sandbox import Databases

QUICKMART = demo_partner_id("quickmart")
NEAR = "{lat: 31.2304, lng: 121.4737}"
HEAVY_FIELDS: dict[str, str] = {
    "stores": "stores(first: 100) { totalCount edges { node { id name address { city } "
              "openingHours { dayOfWeek opens closes } } } }",
    "nearbyStores": f"nearbyStores(near: {NEAR}, radiusMeters: 50000, first: 100) "
                    "{ edges { distanceMeters node { id name } } }",
    "products.availability": f"products(first: 50) {{ edges {{ node {{ id "
                             f"availability(near: {NEAR}, radiusMeters: 50000, first: 10) "
                             f"{{ available distanceMeters store {{ id }} }} }} }} }}",
    "stores.inventory": f"stores(first: 10, filter: {{merchantId: \"{QUICKMART}\"}}) "
                        "{ edges { node { id inventory(first: 50) "
                        "{ edges { node { onHand available product { sku } } } } } } }",
}
WORKLOAD_LIMIT_S = 120.0
"""A bound of the bench's own, far past the operations' 30 s budget: the bench stops by itself
even if the gateway did not."""
SCOPES = frozenset({"stores:read", "catalog:read", "inventory:read"})


def _query(field: str, aliases: int) -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(aliases)) + " }"


def _allowed(guard: OperationGuard, query: str) -> bool:
    document = parse(query)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    fragments = fragments_of(document)
    try:
        guard.check_shape(measure(operation, fragments))
        guard.cost(operation, fragments, {})
    except LimitExceeded:
        return False
    return True


def heaviest_queries(guard: OperationGuard) -> dict[str, tuple[int, str]]:
    """Each heavy field with the most aliases the limits allow (at least one must pass):
    how many, and the query."""
    queries = {}
    for name, field in HEAVY_FIELDS.items():
        count = 0
        while count <= guard.limits.aliases and _allowed(guard, _query(field, count + 1)):
            count += 1
        if count == 0:
            raise SystemExit(f"{name}: even one is refused by the default limits")
        queries[name] = count, _query(field, count)
    return queries


@contextmanager
def _embedded(memory_limit: str | None) -> Iterator[tuple[str, int]]:
    """A fresh FerretDB with ``GOMEMLIMIT`` as given (None: Loopgate's default)."""
    saved = os.environ.pop("GOMEMLIMIT", None)
    if memory_limit is not None:
        os.environ["GOMEMLIMIT"] = memory_limit
    state = Path(tempfile.mkdtemp(prefix="loopgate-membench-"))
    try:
        running = server.start(state, Settings().cache_dir, port=server.free_port())
    finally:
        os.environ.pop("GOMEMLIMIT", None)
        if saved is not None:
            os.environ["GOMEMLIMIT"] = saved
    try:
        with IdIndexKeeper(running.data_dir):
            yield running.uri, running.pid
    finally:
        server.stop(state)


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _peak(pid: int, work: Callable[[], Awaitable[None]]) -> tuple[float, float, float]:
    """Peak resident MB while ``work`` runs, the size right after, and the seconds it took."""
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _resident_mb(pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    try:
        await work()
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    return peak[0], _resident_mb(pid), elapsed


async def _run_heaviest(gateway: Gateway, queries: dict[str, tuple[int, str]],
                        concurrent: int, outcomes: Counter[str]) -> None:
    """Each heaviest query by ``concurrent`` operations at once; ``outcomes`` counts how they
    ended (a time budget running out is an outcome here, not a failure of the bench)."""
    principal = Principal("bench", SCOPES, QUICKMART)
    allowance = ConcurrencyLimiter(gateway.limits.concurrent_operations,
                                   gateway.limits.concurrent_cost)

    async def one(query: str) -> None:
        result = await gateway.execute(GraphQLRequest(query), {"principal": principal},
                                       admit=lambda cost: allowance.acquire("bench", cost))
        codes = {e.get("extensions", {}).get("code") for e in result.response.get("errors", [])}
        outcomes["timed out" if "GATEWAY_TIMEOUT" in codes
                 else "refused (429)" if "RATE_LIMITED" in codes
                 else "failed" if codes else "answered"] += 1

    for name, (_count, query) in queries.items():
        try:
            async with asyncio.timeout(WORKLOAD_LIMIT_S):
                await asyncio.gather(*(one(query) for _ in range(concurrent)))
        except TimeoutError:
            outcomes["not answered in time"] += concurrent
        print(f"  {name}: {dict(outcomes)}", flush=True)


async def _measure(uri: str, pid: int, stock_stores: int, items: int,
                   queries: dict[str, tuple[int, str]], limits: OperationLimits) -> dict[str, Any]:
    client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
    db: AsyncDatabase = client["loopgate"]
    for step in demo_steps(Settings(demo_stock_stores=stock_stores)):
        await step.apply(db, lambda _n: None)
    await asyncio.sleep(1)  # let the _id index keeper index the new collections
    loaded = _resident_mb(pid)
    print("  demo data loaded; preparing the sync", flush=True)
    sync_db, products = await _fresh(client, "bench_sync", items)
    print("  syncing", flush=True)

    async def sync() -> None:
        await _ours(sync_db, products, datetime.now(UTC))

    sync_peak = await _peak(pid, sync)
    print("  running the heaviest operations", flush=True)
    gateway = Gateway(Supergraph.parse(compose_platform()),
                      platform_router(Databases.beside(db)), limits=limits)
    outcomes: Counter[str] = Counter()
    heavy_peak = await _peak(pid, lambda: _run_heaviest(gateway, queries,
                                                        limits.concurrent_operations, outcomes))
    try:
        async with asyncio.timeout(30):
            await gateway.router.close()
            await client.close()
    except TimeoutError:
        print("  the database client did not close within 30 s: its connection pool is still "
              "held by timed-out work (see the README's Limits section)", flush=True)
    return {"loaded": loaded, "sync": sync_peak, "heaviest": heavy_peak, "outcomes": outcomes}


def main(stock_stores: int, items: int) -> None:
    limits = OperationLimits()
    guard = OperationGuard(limits, Supergraph.parse(compose_platform()))
    queries = heaviest_queries(guard)
    for name, (count, query) in queries.items():
        print(f"heaviest allowed {name}: {count} aliases, {len(query):,} bytes")
    print(f"each sent {limits.concurrent_operations} at once by one app (its operations limit; "
          f"its cost allowance is {limits.concurrent_cost:,})")
    results = {}
    for label, memory_limit in (("GOMEMLIMIT=off", "off"),
                                (f"GOMEMLIMIT={server.MEMORY_LIMIT}", None)):
        print(f"{label}: starting a fresh FerretDB and loading the demo data…", flush=True)
        with _embedded(memory_limit) as (uri, pid):
            # Not asyncio.run: its shutdown waits for every task, and work stuck on a held
            # connection pool would keep it waiting; the loop is dropped with its server.
            loop = asyncio.new_event_loop()
            results[label] = loop.run_until_complete(_measure(uri, pid, stock_stores, items,
                                                              queries, limits))
    print(f"\n{'setting':<20}{'after load':>12}{'sync peak':>12}{'after':>9}{'time':>8}"
          f"{'heaviest peak':>15}{'after':>9}{'time':>8}")
    for label, r in results.items():
        (sp, sa, st), (hp, ha, ht) = r["sync"], r["heaviest"]
        print(f"{label:<20}{r['loaded']:>9.0f} MB{sp:>9.0f} MB{sa:>6.0f} MB{st:>7.1f}s"
              f"{hp:>12.0f} MB{ha:>6.0f} MB{ht:>7.1f}s  "
              + ", ".join(f"{n} {k}" for k, n in sorted(r["outcomes"].items())))
    off, on = results.values()
    print(f"\npeak with the limit / without: syncInventory {on['sync'][0] / off['sync'][0]:.2f}, "
          f"heaviest {on['heaviest'][0] / off['heaviest'][0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--stock-stores", type=int, default=100,
                        help="demo stores given stock (500 rows each)")
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    main(args.stock_stores, args.items)
