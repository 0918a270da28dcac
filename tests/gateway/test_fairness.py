"""One caller cannot starve the others: per-app concurrency, and a time budget that stops the
work in the subgraphs (their resolvers and their database commands), not only the wait."""

import asyncio
import contextlib
import functools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import strawberry
from graphql import parse
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from starlette.applications import Starlette
from starlette.requests import Request
from strawberry.federation.schema_directives import Cost

from gateway.authorization.wiring import PRINCIPAL
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.http.app import graphql_route
from gateway.http.endpoint import GraphQLEndpoint
from gateway.limits import ConcurrencyLimiter, OperationLimits
from gateway.limits.caller import Caller, principal_caller
from gateway.service import Gateway, GraphQLRequest
from gateway.transports import (
    HttpTransport,
    InProcessTransport,
    SubgraphRequest,
    SubgraphUnavailable,
    TransportRouter,
    http_session,
)
from schema.kernel.mongo import Mongo
from schema.kernel.principal import Principal


@dataclass
class Work:
    """What the test subgraph's resolvers did: reads made, and how their loops ended."""

    db: AsyncDatabase
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0
    all_waiting: asyncio.Event = field(default_factory=asyncio.Event)
    reads: int = 0
    ticks: int = 0
    ended_by: BaseException | None = None


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"

    @strawberry.federation.field(directives=[Cost(weight=2)])
    async def gated(self, info: strawberry.Info) -> str:
        work: Work = info.context
        work.waiting += 1
        if work.waiting == 2:
            work.all_waiting.set()
        await work.gate.wait()
        return "opened"

    @strawberry.field
    async def ticking(self, info: strawberry.Info) -> int | None:
        """Awaits forever; only cancellation stops it."""
        work: Work = info.context
        try:
            while True:
                await asyncio.sleep(0.01)
                work.ticks += 1
        except BaseException as ended:
            work.ended_by = ended
            raise

    @strawberry.field
    async def stubborn(self, info: strawberry.Info, seconds: float) -> int | None:
        """Ignores cancellation and ends by itself after ``seconds``."""
        work: Work = info.context
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.01)
        work.ended_by = TimeoutError("ended by itself")
        return 1

    @strawberry.field
    async def reading(self, info: strawberry.Info) -> int | None:
        """Point reads for ever, and deaf to cancellation: only PyMongo's timeout stops it."""
        work: Work = info.context
        give_up = time.monotonic() + 20  # so a broken budget fails the test, not hangs it
        while time.monotonic() < give_up:
            try:
                await work.db.things.find_one({"_id": "t1"})
            except asyncio.CancelledError:
                continue
            except PyMongoError as ended:
                work.ended_by = ended
                raise
            work.reads += 1
        return work.reads


SCHEMA = strawberry.federation.Schema(query=Query)


@functools.cache
def supergraph() -> Supergraph:
    result = compose_supergraph([SubgraphSource(name="work", sdl=SCHEMA.as_str(),
                                                url="in-process://work")])
    assert result.supergraph_sdl is not None, result.errors
    return Supergraph.parse(result.supergraph_sdl)


def work_gateway(work: Work, **limits: Any) -> Gateway:
    router = TransportRouter({"work": InProcessTransport(SCHEMA._schema, lambda _ctx: work)})
    return Gateway(supergraph(), router, limits=OperationLimits(**limits))


def by_app_header(request: Request, _context: Any) -> Caller:
    return Caller(f"client:{request.headers['x-app']}", authenticated=True)


async def test_an_app_at_its_limit_gets_429_while_another_app_is_served(mongo: Mongo) -> None:
    work = Work(mongo.db)
    endpoint = GraphQLEndpoint(work_gateway(work, concurrent_operations=2),
                               caller_for=by_app_header)
    app = Starlette(routes=[graphql_route(endpoint)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        def send(app_id: str, query: str) -> Any:
            return client.post("/graphql", json={"query": query}, headers={"x-app": app_id})

        busy = [asyncio.create_task(send("A", "{ gated }")) for _ in range(2)]
        await work.all_waiting.wait()
        assert endpoint.limits.concurrency.running("client:A") == 2
        refused = await send("A", "{ hello }")
        other = await send("B", "{ hello }")
        assert not any(task.done() for task in busy)
        work.gate.set()
        answers = await asyncio.gather(*busy)
        after = await send("A", "{ hello }")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED",
                                                         "retryAfter": 1}
    assert (other.status_code, other.json()["data"]) == (200, {"hello": "hi"})
    assert [a.json()["data"] for a in answers] == [{"gated": "opened"}] * 2
    assert after.json()["data"] == {"hello": "hi"}
    assert endpoint.limits.concurrency.running("client:A") == 0


async def test_an_app_over_its_cost_allowance_gets_429_while_its_cheap_operations_run(
        mongo: Mongo) -> None:
    """``{ gated hello }`` costs 2 (``gated`` weighs 2): with an allowance of 3, one runs, a
    second gets a 429, a cheap one still fits, and another app is not affected."""
    work = Work(mongo.db)
    work.waiting = 1  # one gated resolver is enough to open all_waiting
    endpoint = GraphQLEndpoint(work_gateway(work, concurrent_cost=3), caller_for=by_app_header)
    app = Starlette(routes=[graphql_route(endpoint)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        def send(app_id: str, query: str) -> Any:
            return client.post("/graphql", json={"query": query}, headers={"x-app": app_id})

        heavy = asyncio.create_task(send("A", "{ gated hello }"))
        await work.all_waiting.wait()
        assert endpoint.limits.concurrency.cost_running("client:A") == 2
        refused = await send("A", "{ gated hello }")
        cheap = await send("A", "{ hello }")
        other = asyncio.create_task(send("B", "{ gated hello }"))
        await asyncio.sleep(0.05)
        assert endpoint.limits.concurrency.cost_running("client:B") == 2
        work.gate.set()
        await heavy
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert refused.json()["errors"][0]["extensions"] == {"code": "RATE_LIMITED",
                                                         "retryAfter": 1}
    assert cheap.json()["data"] == {"hello": "hi"}
    assert (await other).json()["data"] == {"gated": "opened", "hello": "hi"}
    assert endpoint.limits.concurrency.cost_running("client:A") == 0


async def test_work_abandoned_at_the_deadline_keeps_its_share_until_it_has_ended(
        mongo: Mongo) -> None:
    """A GATEWAY_TIMEOUT answer does not free the app's share while its work still runs, so
    an app cannot pile new work on top of work it gave up on."""
    work = Work(mongo.db)
    limiter = ConcurrencyLimiter(per_key=5, cost_per_key=100)
    result = await work_gateway(work, timeout_seconds=0.2).execute(
        GraphQLRequest("{ stubborn(seconds: 3) }"),
        admit=lambda cost: limiter.acquire("client:A", cost))
    assert result.response["errors"][0]["extensions"]["code"] == "GATEWAY_TIMEOUT"
    assert limiter.running("client:A") == 1
    await asyncio.sleep(3.2)
    assert work.ended_by is not None
    assert limiter.running("client:A") == 0


def test_an_app_is_its_client_id_and_an_anonymous_caller_its_address() -> None:
    def request(host: str) -> Request:
        return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": [],
                        "client": (host, 5000)})

    principal = Principal(client_id="app_erp", scopes=frozenset())
    assert principal_caller(request("198.51.100.7"), {PRINCIPAL: principal}) == Caller(
        "client:app_erp", authenticated=True)
    assert principal_caller(request("198.51.100.7"), {PRINCIPAL: None}) == Caller(
        "address:198.51.100.7", authenticated=False)
    assert principal_caller(request("2001:db8:1:2:3::9"), {}).key == "address:2001:db8:1:2::/64"
    console = [Principal(client_id="console", scopes=frozenset(), partner_id=partner)
               for partner in ("ptn_a", "ptn_b")]
    assert [principal_caller(request("198.51.100.7"), {PRINCIPAL: p}).key for p in console] == [
        "client:console:ptn_a", "client:console:ptn_b"]


async def test_at_the_deadline_the_resolver_is_cancelled_and_the_answer_is_gateway_timeout(
        mongo: Mongo) -> None:
    work = Work(mongo.db)
    result = await work_gateway(work, timeout_seconds=0.3).execute(
        GraphQLRequest("{ hello ticking }"))
    assert isinstance(work.ended_by, asyncio.CancelledError)
    assert work.ticks > 0
    stopped_at = work.ticks
    await asyncio.sleep(0.1)
    assert work.ticks == stopped_at
    assert result.response["data"] is None
    [error] = result.response["errors"]
    assert error["extensions"] == {"code": "GATEWAY_TIMEOUT", "serviceName": "work"}


async def test_database_commands_stop_at_the_deadline_even_for_a_resolver_deaf_to_cancellation(
        mongo: Mongo) -> None:
    await mongo.db.things.insert_one({"_id": "t1"})
    work = Work(mongo.db)
    result = await work_gateway(work, timeout_seconds=0.3).execute(
        GraphQLRequest("{ reading }"))
    assert isinstance(work.ended_by, PyMongoError)
    assert work.ended_by.timeout
    assert work.reads > 0
    stopped_at = work.reads
    await asyncio.sleep(0.1)
    assert work.reads == stopped_at
    assert result.response["data"] == {"reading": None}


async def test_no_database_command_runs_outside_the_budget_of_its_operation(mongo: Mongo) -> None:
    """PyMongo's timeout is a context variable: it covers this operation's tasks only."""
    await mongo.db.things.insert_one({"_id": "t1"})
    work = Work(mongo.db)
    await work_gateway(work, timeout_seconds=0.2).execute(GraphQLRequest("{ reading }"))
    assert isinstance(work.ended_by, PyMongoError)
    assert await mongo.db.things.find_one({"_id": "t1"}) == {"_id": "t1"}


async def test_an_http_subgraph_call_gets_the_time_left_as_its_timeout(
        subgraph_base_url: str) -> None:
    session = http_session(timeout=30.0)
    transport = HttpTransport("products", f"{subgraph_base_url}/products", session=session)
    query = "{ slow(seconds: 5) }"
    request = SubgraphRequest("products", query, parse(query), {},
                              deadline=time.monotonic() + 0.2)
    try:
        outcome: BaseException | None = None
        try:
            await transport.execute(request)
        except SubgraphUnavailable as unavailable:
            outcome = unavailable
    finally:
        with contextlib.suppress(Exception):
            await session.close()
    assert isinstance(outcome, SubgraphUnavailable)
    assert "timed out" in outcome.reason
