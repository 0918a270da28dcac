"""Budgets shared by every gateway process on one database, on the real FerretDB: two limiter
instances stand for two processes (each its own slices, shares and holder id).

What is pinned: the processes together never spend more than the bucket holds plus what it
refilled; a request costs no database write (a write per slice, none per refusal); unspent
slices and idle shares go back to the others; the in-flight allowance holds across both, and
a process that dies frees its share when its lease ends."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from auth.service import AuthService
from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from gateway.limits import OperationLimits
from gateway.limits.budget import AppLimits, Refusal, sweep_budgets
from gateway.limits.shared_concurrency import SHARES, SharedConcurrency
from schema.kernel.buckets import BUCKETS, MongoBuckets, Rate
from schema.kernel.budget_slices import BudgetSlices
from schema.kernel.claims import CLAIMS
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import AuthServer, serve_in_loop


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def _bucket_writes(db: AsyncDatabase) -> int:
    """Claimed writes of bucket documents (every write of one takes a revision claim)."""
    return len([c async for c in db[CLAIMS].find({}) if c["_id"].startswith("rate_buckets:")])


async def test_two_processes_never_spend_more_than_the_bucket_and_write_per_slice(
        db: AsyncDatabase) -> None:
    rate = Rate(maximum=200, per_second=0.001)  # no refill worth counting during the test
    processes = [BudgetSlices(MongoBuckets(db)) for _ in range(2)]  # slices of 10

    async def spender(slices: BudgetSlices) -> int:
        spent = 0
        for _ in range(150):
            if await slices.spend("cost:client:A", rate, 1) is None:
                spent += 1
        return spent

    started = time.time()
    spent = await asyncio.gather(*(spender(p) for p in processes),
                                 *(spender(p) for p in processes))
    elapsed = time.time() - started
    assert sum(spent) <= 200 + rate.per_second * elapsed + 1
    assert sum(spent) >= 200 - 2 * 10  # at most a slice per process left unspent
    assert all(s > 0 for s in spent)
    writes = await _bucket_writes(db)
    assert writes <= 200 / 10 + 2, f"{writes} writes for {sum(spent)} admitted requests"


async def test_refused_requests_cost_no_write_and_retry_after_follows_the_refill(
        db: AsyncDatabase) -> None:
    rate = Rate(maximum=100, per_second=10)
    clock = Clock()
    first, second = (BudgetSlices(MongoBuckets(db, clock), clock=clock) for _ in range(2))
    assert await first.spend("b", rate, 60) is None
    assert await second.spend("b", rate, 40) is None
    writes = await _bucket_writes(db)
    waits = [await p.spend("b", rate, 20) for p in (first, second) for _ in range(50)]
    assert all(w is not None and 0 < w <= 2.0 for w in waits)
    assert await _bucket_writes(db) == writes  # a flood of refusals wrote nothing
    clock.now += 2.0  # 20 points refilled
    assert await second.spend("b", rate, 20) is None


async def test_unspent_slices_go_back_to_the_shared_bucket(db: AsyncDatabase) -> None:
    rate = Rate(maximum=100, per_second=0.001)
    clock = Clock()
    first, second = (BudgetSlices(MongoBuckets(db, clock), clock=clock, idle_s=5)
                     for _ in range(2))
    assert await first.spend("b", rate, 1) is None  # withdrew a slice of 5
    assert await second.spend("b", rate, 96) is not None
    assert await second.spend("b", rate, 95) is None
    assert await second.spend("b", rate, 4) is not None  # 4 are held by the first process
    clock.now += 6
    await first.settle()
    assert first.tracked() == 0
    assert await second.spend("b", rate, 4) is None


async def test_app_limits_share_one_budget_across_processes(db: AsyncDatabase) -> None:
    limits = OperationLimits(cost=100, cost_bucket={"size": 400, "restore_rate": 0.001})
    processes = [AppLimits.shared(limits, db) for _ in range(2)]
    admitted = 0
    for _ in range(6):
        for limiter in processes:
            granted = await limiter.admit("client:A", 40)
            if not isinstance(granted, Refusal):
                admitted += 1
                granted()
    assert admitted == 10  # 400 points at 40 each, whichever process they came to
    refused = await processes[0].admit("client:A", 40)
    assert isinstance(refused, Refusal) and refused.retry_after > 3600
    assert not isinstance(await processes[1].admit("client:B", 40), Refusal)


async def test_the_in_flight_allowance_holds_across_processes(db: AsyncDatabase) -> None:
    clock = Clock()
    first, second = (SharedConcurrency(db, per_key=4, cost_per_key=100, longest_s=10,
                                       idle_s=1, clock=clock) for _ in range(2))
    held = [await first.acquire("client:A", 10) for _ in range(3)]
    assert all(held)
    other = await second.acquire("client:A", 10)
    assert other is not None
    assert await second.acquire("client:A", 10) is None
    assert await first.acquire("client:A", 10) is None
    for release in held:
        assert release is not None
        release()
    clock.now += 2
    await first.settle()  # its share goes back once idle
    more = [await second.acquire("client:A", 10) for _ in range(3)]
    assert all(more)
    assert await second.acquire("client:A", 10) is None


async def test_the_cost_allowance_holds_across_processes(db: AsyncDatabase) -> None:
    """A share is grown a step (a tenth of the allowance) past what it needs, so the other
    process gets what is left of the allowance, not what is left of the running cost."""
    clock = Clock()
    first, second = (SharedConcurrency(db, per_key=20, cost_per_key=100, longest_s=10,
                                       idle_s=1, clock=clock) for _ in range(2))
    running = await first.acquire("client:A", 60)
    assert running is not None  # a share of 70
    assert await second.acquire("client:A", 40) is None
    assert await second.acquire("client:A", 30) is not None
    assert await second.acquire("client:B", 100) is not None
    running()
    clock.now += 2
    await first.settle()
    assert await second.acquire("client:A", 40) is not None


async def test_an_operation_over_the_allowance_runs_when_nothing_else_holds_a_share(
        db: AsyncDatabase) -> None:
    first, second = (SharedConcurrency(db, per_key=20, cost_per_key=100, longest_s=10)
                     for _ in range(2))
    huge = await first.acquire("client:A", 500)
    assert huge is not None
    assert await second.acquire("client:A", 1) is None
    assert await first.acquire("client:A", 1) is None


async def test_a_dead_processs_share_is_free_when_its_lease_ends(db: AsyncDatabase) -> None:
    clock = Clock()
    dead, alive = (SharedConcurrency(db, per_key=2, cost_per_key=100, longest_s=10,
                                     clock=clock) for _ in range(2))
    assert await dead.acquire("client:A", 1) is not None
    assert await dead.acquire("client:A", 1) is not None
    assert await alive.acquire("client:A", 1) is None
    clock.now += 21  # twice the longest operation
    assert await alive.acquire("client:A", 1) is not None


ISSUER = "http://127.0.0.1:1"
"""One issuer for both processes, as behind one public URL."""


@asynccontextmanager
async def _served(mongo: Mongo, settings: Settings) -> AsyncIterator[str]:
    """``loopgate serve``'s app (one process) on ``mongo``; yields its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={"port": port}), mongo)
    async with serve_in_loop(app, port):
        yield base_url


async def test_serve_processes_share_each_apps_budget_and_the_sandbox_has_its_own(
        mongo: Mongo) -> None:
    """Two ``create_app`` processes on one database: an app's operations, wherever they are
    sent, together get one bucket (kept in the live database); its sandbox twin app has its
    own, kept in the sandbox database."""
    settings = Settings(issuer=ISSUER, limits=OperationLimits(
        cost=10, cost_bucket={"size": 10, "restore_rate": 0.001}))
    query = {"query": "{ viewer { clientId } }"}  # costs 1
    try:
        async with _served(mongo, settings) as first, _served(mongo, settings) as second:
            auth = AuthServer(first, AuthService.create(mongo.db, issuer=ISSUER))
            partner_id = new_id("ptn")
            live = await auth.mint("stores:read", partner_id=partner_id)
            issued = await auth.service.clients.create(
                partner_id=partner_id, name="Sandbox app", scopes="stores:read",
                sandbox=True)
            async with auth.oauth_client(issued, scope="stores:read") as oauth:
                sandbox_token = (await oauth.fetch_token(
                    auth.url("/oauth/token"), grant_type="client_credentials"))["access_token"]
            async with httpx.AsyncClient(timeout=60) as http:
                answers = [await http.post(f"{base}/graphql", json=query, headers=live.headers)
                           for base in (first, second) * 6]
                sandbox = await http.post(f"{second}/graphql", json=query,
                                          headers={"Authorization": f"Bearer {sandbox_token}"})
        statuses = [a.status_code for a in answers]
        assert statuses == [200] * 10 + [429] * 2, statuses
        assert answers[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert sandbox.status_code == 200, sandbox.text
        assert sandbox.json()["extensions"]["cost"]["requestedQueryCost"] == 1
        databases = Databases.beside(mongo.db)
        assert await databases.live[BUCKETS].find_one({"_id": f"cost:client:{live.client_id}"})
        assert await databases.sandbox[BUCKETS].find_one(
            {"_id": f"cost:client:{issued.client.client_id}"})
        assert not await databases.live[BUCKETS].find_one(
            {"_id": f"cost:client:{issued.client.client_id}"})
    finally:
        await mongo.client.drop_database(Databases.beside(mongo.db).sandbox.name)


async def test_long_full_buckets_and_long_ended_shares_are_swept(db: AsyncDatabase) -> None:
    """Keys seen once (an address) do not pile up: a bucket full for over an hour and the
    shares of an app whose last lease ended over an hour ago are deleted, nothing else."""
    past = Clock()
    past.now -= 3 * 3600
    fast, slow = Rate(maximum=10, per_second=1), Rate(maximum=10, per_second=1e-6)
    await MongoBuckets(db, past).withdraw("address:192.0.2.1", fast, 5, 5)
    await MongoBuckets(db, past).withdraw("address:192.0.2.2", slow, 5, 5)
    await MongoBuckets(db).withdraw("address:192.0.2.3", fast, 5, 5)
    old = SharedConcurrency(db, per_key=2, cost_per_key=10, longest_s=10, clock=past)
    assert await old.acquire("address:192.0.2.1", 1) is not None
    assert await SharedConcurrency(db, per_key=2, cost_per_key=10,
                                   longest_s=10).acquire("address:192.0.2.3", 1) is not None
    assert await sweep_budgets(db) == 2
    assert sorted([d["_id"] async for d in db[BUCKETS].find({})]) == ["address:192.0.2.2",
                                                                      "address:192.0.2.3"]
    assert [d["_id"] async for d in db[SHARES].find({})] == ["address:192.0.2.3"]


async def test_many_processes_never_run_more_than_the_allowance_together(
        db: AsyncDatabase) -> None:
    processes = [SharedConcurrency(db, per_key=20, cost_per_key=1000, longest_s=10)
                 for _ in range(6)]
    assert all([await p.acquire("client:A", 1) for p in processes])  # each gets a share
    more = [await p.acquire("client:A", 1) for _ in range(5) for p in processes]
    assert 6 + sum(r is not None for r in more) == 20


async def test_a_share_larger_than_its_use_shrinks_for_the_others(db: AsyncDatabase) -> None:
    clock = Clock()
    first, second = (SharedConcurrency(db, per_key=20, cost_per_key=1000, longest_s=10,
                                       idle_s=1, clock=clock) for _ in range(2))
    peak = [await first.acquire("client:A", 1) for _ in range(15)]
    assert all(peak)  # a share of 16: 15 and a step of 2, less one
    assert [await second.acquire("client:A", 1) for _ in range(6)].count(None) == 2
    for release in peak[1:]:
        assert release is not None
        release()
    clock.now += 2
    await first.settle()  # one running: a share of 1 + a step of 2
    taken = [await second.acquire("client:A", 1) for _ in range(20)]
    assert sum(r is not None for r in taken) == 20 - 3 - 4


async def test_an_occasional_caller_costs_a_write_per_slice_not_per_request(
        db: AsyncDatabase) -> None:
    clock = Clock()
    slices = BudgetSlices(MongoBuckets(db, clock), clock=clock)
    rate = Rate(maximum=20_000, per_second=1_000)
    for _ in range(30):
        assert await slices.spend("cost:client:A", rate, 10) is None
        clock.now += 10  # one request every 10 s: the slice of 1,000 is kept meanwhile
    assert await _bucket_writes(db) == 1
