"""In-flight de-duplication of subgraph queries, against a real HTTP subgraph that counts calls.

The subgraph answers after a pause, so calls started together overlap; each test uses its
own path, whose calls the subgraph counts (with the headers it saw).
"""

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import aiohttp
import orjson
import pytest
from graphql import parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.standalone import subgraph_router
from gateway.transports import HttpTransport, SubgraphRequest, SubgraphUnavailable
from gateway.transports.dedup import InFlight
from gateway.transports.http import is_query
from tests.gateway.servers import serving

PAUSE_S = 0.3
CALLS: defaultdict[str, list[dict[str, str]]] = defaultdict(list)


async def _answer(request: Request) -> Response:
    """``{data: {caller}}`` after PAUSE_S; ``/fail/…`` answers 500 with no GraphQL body."""
    calls = CALLS[request.path_params["token"]]
    calls.append(dict(request.headers))
    await asyncio.sleep(PAUSE_S)
    if request.path_params["kind"] == "fail":
        return Response("boom", status_code=500)
    caller = request.headers.get("authorization")
    return Response(orjson.dumps({"data": {"caller": caller, "call": len(calls)}}),
                    media_type="application/json")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = Starlette(routes=[Route("/{kind}/{token}", _answer, methods=["POST"])])
    with serving(app) as url:
        yield url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as pooled:
        yield pooled


def transport(base_url: str, session: aiohttp.ClientSession, kind: str = "ok",
              **options: object) -> tuple[HttpTransport, list[dict[str, str]]]:
    """A transport to a fresh counted path, the caller's ``auth`` context as Authorization."""
    token = uuid.uuid4().hex
    http = HttpTransport(
        "counted", f"{base_url}/{kind}/{token}", session=session,
        headers_for=lambda request: {"Authorization": request.context["auth"],
                                     "X-Request-Id": uuid.uuid4().hex},
        **options)  # type: ignore[arg-type]
    return http, CALLS[token]


def request(query: str = "query Q { caller }", auth: str = "Bearer a",
            deadline: float | None = None) -> SubgraphRequest:
    return SubgraphRequest("counted", query, parse(query), {}, None, {"auth": auth}, deadline)


async def test_identical_concurrent_queries_share_one_call(base_url: str,
                                                           session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    responses = await asyncio.gather(*(http.execute(request()) for _ in range(5)))
    assert len(calls) == 1
    assert all(response == {"data": {"caller": "Bearer a", "call": 1}}
               for response in responses)
    assert len({id(response) for response in responses}) == 5  # each caller merges its own


async def test_a_later_identical_query_calls_again(base_url: str,
                                                   session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    await http.execute(request())
    second = await http.execute(request())
    assert len(calls) == 2
    assert second["data"]["call"] == 2


async def test_different_callers_never_share(base_url: str,
                                             session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    responses = await asyncio.gather(*(http.execute(request(auth=auth))
                                       for auth in ("Bearer a", "Bearer b", "Bearer a")))
    assert sorted(call["authorization"] for call in calls) == ["Bearer a", "Bearer b"]
    assert [response["data"]["caller"] for response in responses] == \
        ["Bearer a", "Bearer b", "Bearer a"]


async def test_different_bodies_never_share(base_url: str,
                                            session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    await asyncio.gather(http.execute(request("query Q { caller }")),
                         http.execute(request("query R { caller }")))
    assert len(calls) == 2


async def test_mutations_are_never_merged(base_url: str, session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    await asyncio.gather(*(http.execute(request("mutation M { caller }")) for _ in range(3)))
    assert len(calls) == 3


async def test_disabled_dedup_calls_once_per_caller(base_url: str,
                                                    session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session, dedup=False)
    await asyncio.gather(*(http.execute(request()) for _ in range(3)))
    assert len(calls) == 3


async def test_a_failure_reaches_every_waiter(base_url: str,
                                              session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session, kind="fail")
    outcomes = await asyncio.gather(*(http.execute(request()) for _ in range(3)),
                                    return_exceptions=True)
    assert len(calls) == 1
    assert all(isinstance(outcome, SubgraphUnavailable) and "HTTP 500" in str(outcome)
               for outcome in outcomes)


async def test_cancelling_a_waiter_leaves_the_others(base_url: str,
                                                    session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    first = asyncio.ensure_future(http.execute(request()))  # the caller that makes the call
    await asyncio.sleep(0)
    waiters = [asyncio.ensure_future(http.execute(request())) for _ in range(3)]
    await asyncio.sleep(PAUSE_S / 3)
    waiters[0].cancel()
    responses = await asyncio.gather(first, *waiters[1:])
    assert waiters[0].cancelled()
    assert len(calls) == 1
    assert [response["data"]["call"] for response in responses] == [1, 1, 1]


async def test_when_the_first_caller_is_cancelled_the_others_call_again(
        base_url: str, session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    first = asyncio.ensure_future(http.execute(request()))
    await asyncio.sleep(0)
    others = [asyncio.ensure_future(http.execute(request())) for _ in range(2)]
    await asyncio.sleep(PAUSE_S / 3)
    first.cancel()
    responses = await asyncio.gather(*others)
    assert first.cancelled()
    assert len(calls) == 2  # the abandoned call, then one shared by the two still waiting
    assert [response["data"]["call"] for response in responses] == [2, 2]


async def test_when_every_waiter_is_cancelled_the_call_stops(
        base_url: str, session: aiohttp.ClientSession) -> None:
    http, calls = transport(base_url, session)
    waiters = [asyncio.ensure_future(http.execute(request())) for _ in range(2)]
    await asyncio.sleep(PAUSE_S / 3)
    for waiter in waiters:
        waiter.cancel()
    await asyncio.gather(*waiters, return_exceptions=True)
    assert http._in_flight is not None and len(http._in_flight) == 0
    response = await http.execute(request())  # a fresh call, not the abandoned one
    assert len(calls) == 2
    assert response["data"]["call"] == 2


async def test_a_waiter_with_an_earlier_deadline_stops_waiting_at_it(
        base_url: str, session: aiohttp.ClientSession) -> None:
    """The first caller's deadline bounds the shared call; a caller joining with less time
    left stops at its own deadline (and only it), the call going on for the others."""
    http, calls = transport(base_url, session)
    late = time.monotonic() + 5
    first = asyncio.ensure_future(http.execute(request(deadline=late)))
    await asyncio.sleep(0)
    hurried = asyncio.ensure_future(http.execute(request(deadline=time.monotonic() + 0.1)))
    patient = asyncio.ensure_future(http.execute(request(deadline=late + 1)))
    started = time.monotonic()
    with pytest.raises(SubgraphUnavailable, match="timed out"):
        await hurried
    assert time.monotonic() - started < PAUSE_S
    responses = await asyncio.gather(first, patient)
    assert len(calls) == 1
    assert [response["data"]["call"] for response in responses] == [1, 1]


async def test_in_flight_bounds_only_a_waiter_due_before_the_first_caller() -> None:
    in_flight: InFlight[str] = InFlight()
    release = asyncio.Event()

    async def call() -> str:
        await release.wait()
        return "done"

    now = time.monotonic()
    first = asyncio.ensure_future(in_flight.run("k", call, now + 0.3))
    await asyncio.sleep(0)
    unbounded = asyncio.ensure_future(in_flight.run("k", call))
    hurried = asyncio.ensure_future(in_flight.run("k", call, now + 0.05))
    with pytest.raises(TimeoutError):
        await hurried
    release.set()
    assert await asyncio.gather(first, unbounded) == ["done", "done"]
    assert len(in_flight) == 0


def test_only_queries_are_mergeable() -> None:
    document = parse("query Q { a } mutation M { b }")
    assert is_query(document, "Q")
    assert not is_query(document, "M")
    assert is_query(document, None)  # the first operation runs
    assert not is_query(parse("subscription S { a }"), None)
    assert not is_query(document, "Missing")


@pytest.mark.parametrize("dedup", [True, False])
async def test_the_standalone_router_passes_the_dedup_switch(
        base_url: str, session: aiohttp.ClientSession, dedup: bool) -> None:
    """``loopgate gateway --no-dedup`` reaches every HTTP transport the router builds."""
    token = uuid.uuid4().hex
    composed = compose_supergraph([SubgraphSource(
        "counted", "type Query { caller: String call: Int }", f"{base_url}/ok/{token}")])
    assert composed.supergraph_sdl is not None, composed.errors
    supergraph = Supergraph.parse(composed.supergraph_sdl)
    router = subgraph_router(supergraph, session, None, dedup=dedup)
    query = "query Q { caller call }"
    await asyncio.gather(*(router.fetch(SubgraphRequest("counted", query, parse(query), {}))
                           for _ in range(4)))
    assert len(CALLS[token]) == (1 if dedup else 4)
