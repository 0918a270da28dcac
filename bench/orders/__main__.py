"""``placeOrder`` from 50 concurrent clients: through the gateway (HTTP to ``loopgate serve``)
against the same routing, stock holds and writes through the orders code directly.

    .venv/bin/python -m bench.orders [--uri mongodb://…] [--orders 1000] [--clients 50]

One merchant with :data:`STORES` delivering stores around People's Square and
:data:`PRODUCTS` products stocked plentifully at each (no order falls short: this measures
the work of an order, not refusals). Every order is a DELIVERY to a random point within
:data:`SPREAD_M` metres, of :data:`LINES` random products, so it is routed (stores covering
the point, their stock) and then held line by line. Each client is its own app of the
merchant (a token each, so no app's concurrency limit is in the way) and places its share one
order after another; the clients run at once. Runs on the same database:

- ``gateway``: ``placeOrder`` through ``loopgate serve`` in its own process (HTTP, token,
  plan, idempotency key, routing, the holds, the order with its event, the payload read);
- ``domain``: the same by the orders code in this process
  (:func:`schema.orders.place.place_order` under :func:`run_once`, as the mutation runs it),
  with the server's event relay beside it: the baseline;
- ``reserve``: for scale, the stock holds alone (:func:`schema.catalog.reservations.reserve`
  of as many orders' lines, at the nearest store).

Each run prints throughput, p50/p99 and CPU per order of the serving process and of the
embedded FerretDB; then the ratio, and what DESIGN.md §9's peak of 200 orders/s needs. All
orders stay unpaid (the run is shorter than their 15 minutes), so afterwards every row's
``reserved`` must equal the units of the answered orders and holds placed at it, or the
command exits non-zero.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvloop
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from auth.direct import client_credentials_token
from auth.service import AuthService
from bench.database import bench_database_uri, server_name
from bench.gateway.processes import cpu_seconds, free_port
from bench.served import serve
from gateway.background import run_jobs_forever
from gateway.config import Settings
from gateway.embedded import server as embedded
from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.products import upsert_products
from schema.catalog.reservations import Line, reserve
from schema.catalog.sync_inventory import sync_inventory
from schema.kernel.events import relay_outboxes
from schema.kernel.idempotency import run_once
from schema.kernel.ids import new_id, stable_id
from schema.kernel.principal import Principal
from schema.kernel.time import utcnow
from schema.orders import place
from schema.orders.collections import EXPIRIES, ORDERS
from schema.stores.read import distance_meters
from schema.stores.seed import store_document, write_stores

DB = "bench_orders"
STORES = 5
PRODUCTS = 20
LINES = 2
STOCK = 1_000_000
CENTRE = (31.2304, 121.4737)
SPREAD_M = 800
PEAK = 200   # orders/s, DESIGN.md §9
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  order { id status } userErrors { code field message } } }"""
ADDRESS = {"line1": "1 Bench Road", "city": "Shanghai"}

Place = Callable[[int, "Order"], Awaitable[None]]


class Failed(Exception):
    """An order got an error or a refusal instead of an order."""


@dataclass(frozen=True)
class Order:
    lat: float
    lng: float
    products: tuple[str, ...]
    order_id: str = field(default_factory=lambda: new_id("ord"))
    """Used by the ``reserve`` run only (placed orders get theirs from the key)."""


@dataclass
class Setup:
    merchant: str
    stores: list[dict]
    products: list[str]


async def _prepare(db: AsyncDatabase) -> Setup:
    """The merchant, its stores (open round the clock, delivering 3 km) and stocked products."""
    merchant = stable_id("ptn", "bench-orders-merchant")
    await db["partners"].insert_one({"_id": merchant, "name": "Bench Mart", "type": "MERCHANT"})
    rng = random.Random(14)
    area = (("Shanghai", "Shanghai", *CENTRE, 0.008),)
    stores = [{**store_document(n, merchant, rng, "bench-orders", area),
               "services": ["DELIVERY", "PICKUP"],
               "openingHours": [{"dayOfWeek": d, "opens": "00:00", "closes": "00:00"}
                                for d in range(1, 8)], "specialHours": []}
              for n in range(STORES)]
    await write_stores(db, stores)
    products = await upsert_products(db, merchant, [
        {"sku": f"B{n:03d}", "barcode": None, "name": f"Bench item {n}", "category": None,
         "price": {"amount": 1_000 + n, "currency": "CNY"}, "lowStockThreshold": None,
         "archived": False} for n in range(PRODUCTS)])
    now = utcnow()
    for store in stores:
        report = await sync_inventory(db, merchant, store["_id"], [
            {"sku": f"B{n:03d}", "onHand": STOCK, "occurredAt": now} for n in range(PRODUCTS)])
        if report["applied"] != PRODUCTS:
            raise RuntimeError(f"stock not synced: {report}")
    return Setup(merchant, stores, products)


def _orders(setup: Setup, count: int, seed: int) -> list[Order]:
    rng = random.Random(seed)
    degrees = SPREAD_M / 111_000
    return [Order(CENTRE[0] + rng.uniform(-degrees, degrees),
                  CENTRE[1] + rng.uniform(-degrees, degrees),
                  tuple(rng.sample(setup.products, LINES))) for _ in range(count)]


@dataclass
class Run:
    throughput: float
    p50: float
    p99: float
    failed: list[str]
    """Why each order that got no answer failed."""
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU milliseconds per order, by process."""


@dataclass(frozen=True)
class CpuMeter:
    """CPU per order of the process doing the work (the served one, or this one) and of the
    embedded FerretDB (not measured on a server given by ``--uri``)."""

    database_pid: int | None
    worker_pid: int

    @contextmanager
    def per(self, orders: int, into: dict[str, float]) -> Iterator[None]:
        pids = {"serving process": self.worker_pid, "FerretDB": self.database_pid}
        before = {k: cpu_seconds(pid) for k, pid in pids.items() if pid is not None}
        yield
        for name, used in before.items():
            pid = pids[name]
            assert pid is not None
            into[name] = (cpu_seconds(pid) - used) / orders * 1000


async def _run(name: str, place_one: Place, orders: list[Order], clients: int,
               meter: CpuMeter | None) -> Run:
    """Place ``orders`` from ``clients`` concurrent clients (client ``i`` takes every
    ``clients``-th order); prints and returns the figures. An order that fails is counted
    and the run goes on (throughput and latencies are of the answered orders)."""
    latencies: list[float] = []
    failed: list[str] = []

    async def client(index: int) -> None:
        for order in orders[index::clients]:
            start = time.perf_counter()
            try:
                await place_one(index, order)
            except Failed as failure:
                failed.append(str(failure))
                continue
            latencies.append(time.perf_counter() - start)

    cpu: dict[str, float] = {}
    start = time.perf_counter()
    if meter is None:
        await asyncio.gather(*(client(i) for i in range(clients)))
    else:
        with meter.per(len(orders), cpu):
            await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    used = "".join(f", {k} {v:.1f} ms" for k, v in cpu.items())
    print(f"{name:8} {len(latencies) / elapsed:7.1f} orders/s   p50 {cuts[49] * 1000:8.1f} ms"
          f"   p99 {cuts[98] * 1000:8.1f} ms{'   CPU per order' + used if cpu else ''}",
          flush=True)
    if failed:
        print(f"{name:8} {len(failed)} of {len(orders)} orders failed; first: {failed[0]}",
              flush=True)
    return Run(len(latencies) / elapsed, cuts[49], cuts[98], failed, cpu)


def _variables(setup: Setup, order: Order) -> dict:
    return {"input": {
        "merchantId": setup.merchant, "channel": "APP", "idempotencyKey": new_id("evt"),
        "lines": [{"productId": p, "quantity": 1} for p in order.products],
        "fulfillment": {"type": "DELIVERY", "location": {"lat": order.lat, "lng": order.lng},
                        "address": ADDRESS}}}


async def _tokens(db: AsyncDatabase, base: str, setup: Setup, clients: int) -> list[str]:
    """An app of the merchant per client."""
    service = AuthService.create(db, issuer=base)
    await service.start()
    tokens = []
    for _ in range(clients):
        issued = await service.clients.create(partner_id=setup.merchant, name="Bench app",
                                              scopes="orders:read orders:write")
        answer = await client_credentials_token(service, issued.client.client_id,
                                                issued.client_secret)
        tokens.append(str(answer.body["access_token"]))
    return tokens


async def _gateway(base: str, db: AsyncDatabase, setup: Setup, orders: list[Order],
                   warmup: list[Order], clients: int, meter: CpuMeter) -> Run:
    tokens = await _tokens(db, base, setup, clients)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        async def place_one(client: int, order: Order) -> None:
            answer = (await http.post("/graphql", json={
                "query": PLACE, "variables": _variables(setup, order)},
                headers={"authorization": f"Bearer {tokens[client]}"})).json()
            payload = (answer.get("data") or {}).get("placeOrder")
            if not payload or payload["userErrors"] or payload["order"]["status"] != "CREATED":
                raise Failed(f"{answer}")

        await _run("warmup", place_one, warmup, clients, None)
        return await _run("gateway", place_one, orders, clients, meter)


async def _domain(db: AsyncDatabase, setup: Setup, orders: list[Order], clients: int,
                  meter: CpuMeter) -> Run:
    apps = [Principal(client_id=f"bench-app-{i}", partner_id=setup.merchant,
                      scopes=frozenset({"orders:read", "orders:write"}))
            for i in range(clients)]

    async def place_one(client: int, order: Order) -> None:
        request = place.PlaceRequest(
            merchant_id=setup.merchant, channel="APP", external_id=None, member_id=None,
            lines=[(p, 1) for p in order.products], fulfillment="DELIVERY",
            location=(order.lat, order.lng), address=ADDRESS)

        async def run(operation_id: str) -> dict:
            return await place.place_order(db, apps[client], request, operation_id)

        body = {"merchantId": setup.merchant, "lines": request.lines,
                "location": request.location}
        try:
            result = await run_once(db, setup.merchant, "placeOrder", new_id("evt"), body, run,
                                    lambda e: {"orderId": None, "userErrors": [e.to_dict()]})
        except PyMongoError as exc:
            raise Failed(f"{type(exc).__name__}: {exc}") from exc
        if result["userErrors"] or result["orderId"] is None:
            raise Failed(f"{result}")

    relay = asyncio.create_task(run_jobs_forever(db, (relay_outboxes,)))
    try:
        return await _run("domain", place_one, orders, clients, meter)
    finally:
        relay.cancel()


def _nearest(setup: Setup, order: Order) -> str:
    return min(setup.stores, key=lambda s: distance_meters(
        s["location"]["lat"], s["location"]["lng"], order.lat, order.lng))["_id"]


async def _reserve(db: AsyncDatabase, setup: Setup, orders: list[Order], clients: int,
                   meter: CpuMeter) -> Run:
    async def hold(_client: int, order: Order) -> None:
        await reserve(db, order.order_id, _lines(setup, order))

    return await _run("reserve", hold, orders, clients, meter)


def _lines(setup: Setup, order: Order) -> list[Line]:
    return [Line(_nearest(setup, order), p, 1) for p in order.products]


Hold = tuple[str, str]
"""(orderId, inventory row id)"""


async def _check(db: AsyncDatabase, setup: Setup, held: list[Order]) -> tuple[list[str], int]:
    """What is wrong with the stock held after the runs (nothing: empty), and how many holds
    belong to placements that failed before writing their order (their expiry entries give
    them back after 15 minutes)."""
    expected: dict[Hold, int] = {}
    async for order in db[ORDERS].find({"merchantId": setup.merchant}, {"lines": 1}):
        for line in order["lines"]:
            key = (order["_id"], inventory_id(line["storeId"], line["productId"]))
            expected[key] = expected.get(key, 0) + line["quantity"]
    for order in held:
        for line in _lines(setup, order):
            expected[(order.order_id, inventory_id(line.store_id, line.product_id))] = 1
    placed = {order_id for order_id, _ in expected}
    unplaced = {entry["_id"] async for entry in db[EXPIRIES].find({}, {"_id": 1})} - placed
    actual: dict[Hold, int] = {}
    problems = []
    async for row in db[INVENTORY].find({"partnerId": setup.merchant}):
        holds = row.get("holds", [])
        if row.get("reserved", 0) != sum(h["q"] for h in holds):
            problems.append(f"{row['_id']}: reserved {row.get('reserved', 0)} is not the sum "
                            "of its holds")
        actual |= {(h["o"], row["_id"]): h["q"] for h in holds}
    stranded = {key for key in actual.keys() - expected.keys() if key[0] in unplaced}
    problems += [f"order {order_id} at {row_id}: placed {expected.get((order_id, row_id))}, "
                 f"held {actual.get((order_id, row_id))}"
                 for order_id, row_id in sorted((expected.keys() | actual.keys()) - stranded)
                 if expected.get((order_id, row_id)) != actual.get((order_id, row_id))]
    return problems, len({order_id for order_id, _ in stranded})


def _embedded_pid(uri: str) -> int | None:
    running = embedded.status(Settings().state_dir)
    return running.pid if running is not None and running.uri == uri else None


def _needs(gateway: Run, domain: Run) -> None:
    """What the peak of :data:`PEAK` orders/s asks of the servers, from the CPU measured."""
    print(f"200 orders/s (DESIGN.md §9 peak) is {PEAK / gateway.throughput:.1f}x the gateway "
          f"rate reached here ({gateway.throughput:.1f}/s)", flush=True)
    for name, run in (("gateway", gateway), ("domain", domain)):
        if not run.cpu:
            continue
        cores = {k: v * PEAK / 1000 for k, v in run.cpu.items()}
        spelled = ", ".join(f"{k} {c:.1f}" for k, c in cores.items())
        print(f"  at {name}'s CPU per order: {sum(cores.values()):.1f} cores busy at 200 "
              f"orders/s ({spelled})", flush=True)


async def main(uri: str, count: int, clients: int) -> int:
    database_pid = _embedded_pid(uri)
    mongo = AsyncMongoClient(uri, tz_aware=True)
    print(f"server: {await server_name(mongo)}; {count} DELIVERY orders of {LINES} lines from "
          f"{clients} concurrent clients (one app each; {STORES} stores, {PRODUCTS} products)",
          flush=True)
    await mongo.drop_database(DB)
    db = mongo[DB]
    setup = await _prepare(db)
    warmup = _orders(setup, clients * 2, seed=1)
    with serve(uri, DB, free_port()) as (base, pid):
        gateway = await _gateway(base, db, setup, _orders(setup, count, seed=2), warmup,
                                 clients, CpuMeter(database_pid, pid))
    domain = await _domain(db, setup, _orders(setup, count, seed=3), clients,
                           CpuMeter(database_pid, os.getpid()))
    held = _orders(setup, count, seed=4)
    holds = await _reserve(db, setup, held, clients, CpuMeter(database_pid, os.getpid()))
    print(f"gateway/domain: throughput {gateway.throughput / domain.throughput:.2f}, p50 "
          f"latency {gateway.p50 / domain.p50:.2f}x, p99 latency {gateway.p99 / domain.p99:.2f}x;"
          f" domain/reserve throughput {domain.throughput / holds.throughput:.2f}", flush=True)
    _needs(gateway, domain)
    problems, stranded = await _check(db, setup, held)
    await mongo.drop_database(DB)
    await mongo.close()
    failed = sum(len(run.failed) for run in (gateway, domain, holds))
    if stranded:
        print(f"{stranded} failed placements still hold their stock (the unpaid sweep gives "
              "it back after 15 minutes)")
    if problems or failed:
        print(f"FAILED: {failed} orders failed; {len(problems)} holds wrong: "
              + "; ".join(problems[:5]))
        return 1
    print("every order's holds are exactly its lines, and every row's reserved their sum")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--orders", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    with bench_database_uri(args.uri) as uri, \
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        sys.exit(runner.run(main(uri, args.orders, args.clients)))
