"""``redeemVoucher`` from 50 concurrent store tills: through the gateway (HTTP to ``loopgate
serve``) against the same writes through the marketing repository directly, and how far the
campaign's live stats trail the redemptions.

    .venv/bin/python -m bench.marketing [--uri mongodb://…] [--redemptions 1000] [--clients 50]

One merchant, five stores, one campaign with one deal redeemable at all of them, and enough
vouchers bought beforehand (balance payments through :func:`purchase_deal`). Each client is
its own staff app bound to one store (a token each, so no app's concurrency limit is in the
way) and redeems its share of the codes one after another; the clients run at once. Three runs
on the same database (the first two each over their own vouchers):

- ``gateway``: ``redeemVoucher`` through ``loopgate serve`` in its own process (HTTP, token
  check, planning, code check, idempotency key, the claimed voucher write with its event, the
  campaign's figures, the payload read);
- ``domain``: the same writes by the marketing code in this process
  (:func:`schema.marketing.redeem.redeem_voucher` under :func:`run_once`, as the mutation
  runs it), no HTTP or gateway, with the server's event relay running beside it in this
  process as it runs in the served one (the purchases' events are relayed before either
  run): the baseline;
- ``figures``: for scale, the campaign's figures write alone (:func:`stats.apply`, the one
  document all redemptions of a campaign take turns at), as many times from as many clients.

Stats lag, during each run: a merchant's reader asks for ``Campaign.stats`` every 20 ms
(through the gateway in the gateway run, by :func:`schema.marketing.stats.read` in the domain
run). A read that starts after k redemptions were answered but shows fewer is behind (by the
time since the oldest answer it misses); for each answered redemption, the time from its
answer to the end of the first read showing it bounds its lag from above (it includes the
wait for the next read and that read's own time). After the last answer: the time until a
read shows them all. Each run also prints its CPU per redemption: of the process doing the
work (the served one, or this one) and of the embedded FerretDB.
Afterwards every redeemed voucher must be REDEEMED once and the figures equal their recount,
or the command exits non-zero.
"""

import argparse
import asyncio
import bisect
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import uvloop
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from auth.direct import client_credentials_token
from auth.service import AuthService
from bench.database import bench_database_uri, server_name
from bench.gateway.processes import cpu_seconds, free_port
from bench.served import serve
from gateway.background import run_jobs_forever
from gateway.config import Settings
from gateway.embedded import server as embedded
from schema.kernel.events import relay_outboxes
from schema.kernel.idempotency import run_once
from schema.kernel.ids import new_id, stable_id
from schema.kernel.money import Money
from schema.kernel.principal import Principal
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow
from schema.marketing import campaigns, deals, purchase, redeem, stats
from schema.marketing.codes import KEYS_ENV, code_lookup_key, new_key_set, open_code
from schema.marketing.collections import VOUCHERS
from schema.membership.members import register
from schema.membership.relationships import record_relationship
from schema.payments.portions import PortionRequest
from schema.stores.seed import store_documents, write_stores
from schema.wallet import credit

DB = "bench_marketing"
STORES = 5
PRICE = 1_000
PER_PURCHASE = 20
BUYERS = 10
READ_EVERY = 0.02
REDEEM = """mutation($input: RedeemVoucherInput!) { redeemVoucher(input: $input) {
  voucher { id status } userErrors { code message } } }"""
STATS = "query($id: ID!) { campaign(id: $id) { stats { redeemed } } }"

Redeem = Callable[[int, str], Awaitable[None]]
ReadRedeemed = Callable[[], Awaitable[int]]


@dataclass
class Setup:
    merchant: str
    stores: list[str]
    campaign: str
    codes: list[str] = field(default_factory=list)


async def _prepare(db: AsyncDatabase, vouchers: int) -> Setup:
    """The merchant, its stores, a campaign and deal, and ``vouchers`` bought codes."""
    merchant = stable_id("ptn", "bench-marketing-merchant")
    await db["partners"].insert_one({"_id": merchant, "name": "Bench Mart", "type": "MERCHANT"})
    documents = store_documents(STORES, merchant, chain="bench-marketing")
    await write_stores(db, documents)
    now = utcnow()
    campaign = await campaigns.create_campaign(db, merchant, "Bench week",
                                               now - timedelta(days=1), now + timedelta(days=7),
                                               1)
    deal = await deals.create_deal(db, merchant, deals.DealRequest(
        campaign_id=campaign["_id"], title="Bench voucher", description=None,
        price=Money(PRICE, "CNY"), face_value=Money(PRICE, "CNY"),
        valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=7), store_ids=[],
        stock_limit=None))
    setup = Setup(merchant, [d["_id"] for d in documents], campaign["_id"])
    seller = Principal(client_id="bench-seller", partner_id=merchant,
                       scopes=frozenset({"payments:write"}))
    purchases = -(-vouchers // PER_PURCHASE)

    async def buyer(index: int) -> None:
        member = (await register(db, f"+86136{index:08d}", f"Buyer {index}", merchant)
                  ).member["_id"]
        await record_relationship(db, merchant, member)
        await credit(db, member, f"bench-credit-{index}", amount=purchases * PER_PURCHASE * PRICE,
                     kind="TOP_UP", reference="bench")
        for _ in range(index, purchases, BUYERS):
            bought = await purchase.purchase_deal(db, seller, purchase.PurchaseRequest(
                deal_id=deal["_id"], member_id=member, quantity=PER_PURCHASE, channel="APP",
                portions=[PortionRequest("STORED_VALUE", Money(PER_PURCHASE * PRICE), None)]),
                new_id("opn"))
            if bought["userErrors"] or len(bought["voucherIds"]) != PER_PURCHASE:
                raise RuntimeError(f"purchase refused: {bought}")
            for voucher in await get_many(db[VOUCHERS], bought["voucherIds"]):
                assert voucher is not None
                setup.codes.append(open_code(voucher["sealedCode"]))

    await asyncio.gather(*(buyer(i) for i in range(BUYERS)))
    while await relay_outboxes(db):   # the purchases' events, so neither run relays them
        pass
    return setup


@dataclass
class Run:
    throughput: float
    p50: float
    p99: float
    answers: list[float]


async def _run(name: str, redeem_one: Redeem, codes: list[str], clients: int,
               unit: str = "redemptions/s") -> Run:
    """Redeem ``codes`` from ``clients`` concurrent clients (client ``i`` takes every
    ``clients``-th code); prints and returns the figures and each answer's time."""
    latencies: list[float] = []
    answers: list[float] = []

    async def client(index: int) -> None:
        for code in codes[index::clients]:
            start = time.perf_counter()
            await redeem_one(index, code)
            answers.append(time.perf_counter())
            latencies.append(answers[-1] - start)

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{name:8} {len(codes) / elapsed:8.0f} {unit:13}   p50 {cuts[49] * 1000:8.1f} ms"
          f"   p99 {cuts[98] * 1000:8.1f} ms", flush=True)
    return Run(len(codes) / elapsed, cuts[49], cuts[98], sorted(answers))


@dataclass
class Lag:
    shown: list[float]
    """Per answered redemption: from its answer to the end of the first read showing it."""
    behind: list[float]
    """Per read that started after answers it did not show: how long the oldest had waited."""
    reads: int
    read_latency: float
    after_last: float


def _lag(answers: list[float], reads: list[tuple[float, float, int]], after_last: float) -> Lag:
    shown = []
    for k, answered in enumerate(answers, start=1):
        end = next((end for _start, end, count in reads if count >= k and end >= answered), None)
        if end is not None:
            shown.append(end - answered)
    behind = []
    for start, _end, count in reads:
        answered = bisect.bisect_right(answers, start)
        if count < answered:
            behind.append(start - answers[count])
    return Lag(shown, behind, len(reads),
               statistics.median(end - start for start, end, _ in reads), after_last)


async def _with_lag(name: str, read: ReadRedeemed, work: Callable[[], Awaitable[Run]],
                    ) -> tuple[Run, Lag]:
    """Run ``work`` while a reader reads the redeemed count every :data:`READ_EVERY` s; the
    stats' lag behind the answers (see the module docstring)."""
    before = await read()
    reads: list[tuple[float, float, int]] = []
    done = asyncio.Event()

    async def reader() -> None:
        while not done.is_set():
            start = time.perf_counter()
            count = await read()
            reads.append((start, time.perf_counter(), count - before))
            await asyncio.sleep(READ_EVERY)

    task = asyncio.create_task(reader())
    try:
        run = await work()
        while await read() - before < len(run.answers):
            pass
        after_last = time.perf_counter() - run.answers[-1]
    finally:
        done.set()
        await task
    lag = _lag(run.answers, reads, after_last)
    cuts = statistics.quantiles(lag.shown, n=100)
    print(f"{name:8} stats: {len(lag.behind)} of {lag.reads} reads during the run missed an "
          f"answered redemption (by at most {max(lag.behind, default=0) * 1000:.1f} ms); "
          f"answer → end of the first read showing it: p50 {cuts[49] * 1000:.1f} ms, p99 "
          f"{cuts[98] * 1000:.1f} ms (a read takes p50 {lag.read_latency * 1000:.1f} ms); "
          f"all shown {lag.after_last * 1000:.1f} ms after the last answer", flush=True)
    return run, lag


@dataclass
class CpuMeter:
    """CPU time per redemption of the process doing the work (the served one, or this one)
    and of the embedded FerretDB (not measured on a server given by ``--uri``)."""

    database_pid: int | None
    worker_pid: int = field(default_factory=os.getpid)

    @contextmanager
    def per(self, name: str, redemptions: int) -> Iterator[None]:
        pids = {"serving process": self.worker_pid, "FerretDB": self.database_pid}
        before = {k: cpu_seconds(pid) for k, pid in pids.items() if pid is not None}
        yield
        used = ", ".join(f"{k} {(cpu_seconds(pids[k]) - v) / redemptions * 1000:.1f} ms"
                         for k, v in before.items())
        print(f"{name:8} CPU per redemption: {used}", flush=True)


async def _tokens(db: AsyncDatabase, base: str, setup: Setup, clients: int,
                  ) -> tuple[list[str], str]:
    """A store-bound staff app per client, and the merchant's reporting app."""
    service = AuthService.create(db, issuer=base)
    await service.start()

    async def token(scopes: str, stores: tuple[str, ...] = ()) -> str:
        issued = await service.clients.create(partner_id=setup.merchant, name="Bench app",
                                              scopes=scopes, store_ids=stores)
        answer = await client_credentials_token(service, issued.client.client_id,
                                                issued.client_secret)
        return str(answer.body["access_token"])

    tills = [await token("vouchers:redeem", (setup.stores[i % STORES],))
             for i in range(clients)]
    return tills, await token("vouchers:read")


async def _gateway(base: str, db: AsyncDatabase, setup: Setup, codes: list[str],
                   warmup: list[str], clients: int, meter: "CpuMeter") -> tuple[Run, Lag]:
    tills, reporter = await _tokens(db, base, setup, clients)
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        async def redeem_one(client: int, code: str) -> None:
            variables = {"input": {"code": code, "storeId": setup.stores[client % STORES],
                                   "idempotencyKey": new_id("evt")}}
            answer = (await http.post("/graphql", json={"query": REDEEM, "variables": variables},
                                      headers={"authorization": f"Bearer {tills[client]}"})
                      ).json()
            payload = (answer.get("data") or {}).get("redeemVoucher")
            if not payload or payload["userErrors"] or payload["voucher"]["status"] != "REDEEMED":
                raise RuntimeError(f"redemption refused: {answer}")

        async def read() -> int:
            answer = (await http.post("/graphql", json={"query": STATS, "variables": {
                "id": setup.campaign}}, headers={"authorization": f"Bearer {reporter}"})).json()
            return int(answer["data"]["campaign"]["stats"]["redeemed"])

        await _run("warmup", redeem_one, warmup, clients)
        with meter.per("gateway", len(codes)):
            return await _with_lag("gateway", read,
                                   lambda: _run("gateway", redeem_one, codes, clients))


async def _domain(db: AsyncDatabase, setup: Setup, codes: list[str],
                  clients: int, meter: "CpuMeter") -> tuple[Run, Lag]:
    tills = [Principal(client_id=f"bench-till-{i}", partner_id=setup.merchant,
                       scopes=frozenset({"vouchers:redeem"}),
                       store_ids=frozenset({setup.stores[i % STORES]})) for i in range(clients)]

    async def redeem_one(client: int, code: str) -> None:
        store = setup.stores[client % STORES]

        async def run(operation_id: str) -> dict:
            return await redeem.redeem_voucher(db, tills[client], setup.merchant, code, store,
                                               operation_id)

        result = await run_once(db, setup.merchant, "redeemVoucher", new_id("evt"),
                                {"code": code_lookup_key(code), "storeId": store}, run,
                                lambda e: {"voucherId": None, "userErrors": [e.to_dict()]})
        if result["userErrors"]:
            raise RuntimeError(f"redemption refused: {result}")

    async def read() -> int:
        return (await stats.read(db, setup.campaign))[0].redeemed

    relay = asyncio.create_task(run_jobs_forever(db, (relay_outboxes,)))
    try:
        with meter.per("domain", len(codes)):
            return await _with_lag("domain", read,
                                   lambda: _run("domain", redeem_one, codes, clients))
    finally:
        relay.cancel()


async def _figures(db: AsyncDatabase, setup: Setup, writes: int, clients: int) -> Run:
    """The one write every redemption of a campaign shares: its figures (a claimed write of
    the campaign's stats document), alone, on a campaign of its own."""
    campaign = new_id("cmp")

    async def write(client: int, op: str) -> None:
        await stats.apply(db, campaign, stats.Change(op, "CNY", redeemed=1,
                                                     store_id=setup.stores[client % STORES]))

    return await _run("figures", write, [f"redeem:{new_id('vch')}" for _ in range(writes)],
                      clients, "writes/s")


async def _check(db: AsyncDatabase, setup: Setup, redeemed: int) -> list[str]:
    """What is wrong with the database after the runs (nothing: empty)."""
    problems = []
    count = await db[VOUCHERS].count_documents({"campaignId": setup.campaign,
                                                "status": "REDEEMED"})
    figures, _doc = await stats.read(db, setup.campaign)
    recount = await stats.recount(db, setup.campaign)
    if count != redeemed:
        problems.append(f"{count} vouchers are REDEEMED, {redeemed} redemptions were answered")
    if (figures.sold, figures.redeemed, figures.stores) != (recount.sold, recount.redeemed,
                                                           recount.stores):
        problems.append(f"stats {figures} differ from their recount {recount}")
    return problems


def _embedded_pid(uri: str) -> int | None:
    """The embedded FerretDB's process when ``uri`` is it."""
    running = embedded.status(Settings().state_dir)
    return running.pid if running is not None and running.uri == uri else None


async def main(uri: str, redemptions: int, clients: int) -> int:
    database_pid = _embedded_pid(uri)
    mongo = AsyncMongoClient(uri, tz_aware=True)
    print(f"server: {await server_name(mongo)}; {redemptions} redemptions from {clients} "
          f"concurrent store tills (one bound staff app each, {STORES} stores, one campaign)",
          flush=True)
    await mongo.drop_database(DB)
    db = mongo[DB]
    warmup = clients * 2
    started = time.perf_counter()
    setup = await _prepare(db, 2 * redemptions + warmup)
    print(f"prepared {len(setup.codes)} vouchers in {time.perf_counter() - started:.0f} s",
          flush=True)
    codes = setup.codes
    with serve(uri, DB, free_port()) as (base, pid):
        gateway, gateway_lag = await _gateway(base, db, setup, codes[:redemptions],
                                              codes[-warmup:], clients,
                                              CpuMeter(database_pid, pid))
    domain, domain_lag = await _domain(db, setup, codes[redemptions:2 * redemptions], clients,
                                       CpuMeter(database_pid))
    figures = await _figures(db, setup, redemptions, clients)
    print(f"gateway/domain: throughput {gateway.throughput / domain.throughput:.2f}, p50 "
          f"latency {gateway.p50 / domain.p50:.2f}x, p99 latency {gateway.p99 / domain.p99:.2f}x;"
          f" domain/figures throughput {domain.throughput / figures.throughput:.2f}")
    print(f"stats behind an answered redemption: gateway {len(gateway_lag.behind)} of "
          f"{gateway_lag.reads} reads, domain {len(domain_lag.behind)} of {domain_lag.reads}")
    problems = await _check(db, setup, 2 * redemptions + warmup)
    await mongo.drop_database(DB)
    await mongo.close()
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    print("every voucher redeemed once; the campaign's stats equal their recount")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--redemptions", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    os.environ.setdefault(KEYS_ENV, new_key_set())   # the served process gets the same keys
    with bench_database_uri(args.uri) as uri, \
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        sys.exit(runner.run(main(uri, args.redemptions, args.clients)))
