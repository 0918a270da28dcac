"""Per-subgraph timeouts, query-only retries and the circuit breaker, against a real flaky
HTTP subgraph on loopback."""

import asyncio
import time

import aiohttp
import pytest
from graphql import parse
from pydantic import ValidationError

from gateway.service import Gateway, GraphQLRequest
from gateway.transports import HttpTransport, SubgraphRequest, SubgraphUnavailable, resilience
from gateway.transports.resilience import (
    CircuitBreaker,
    CircuitOpen,
    CircuitState,
    ResilienceSettings,
    Resilient,
    SubgraphPolicy,
    is_query,
)
from gateway.transports.router import TransportRouter
from tests.observability.servers import FlakySubgraph, free_port, supergraph

FAST = {"backoff_s": 0.01}


def request(query: str = "{ hello }", deadline_s: float | None = None) -> SubgraphRequest:
    deadline = time.monotonic() + deadline_s if deadline_s is not None else None
    return SubgraphRequest("flaky", query, parse(query), {}, deadline=deadline)


def wrapped(url: str, session: aiohttp.ClientSession, **policy: object) -> Resilient:
    return Resilient("flaky", HttpTransport("flaky", url, session=session),
                     SubgraphPolicy(**{**FAST, **policy}))


def test_only_queries_count_as_queries() -> None:
    assert is_query(request("{ hello }"))
    assert is_query(request("query Q { hello }"))
    assert not is_query(request("mutation { poke }"))
    entities = "query($representations: [_Any!]!) { _entities(representations: $r) { __typename } }"
    assert is_query(request(entities))


async def test_a_query_is_retried_after_502_503_504(flaky: FlakySubgraph, flaky_url: str,
                                                    session: aiohttp.ClientSession) -> None:
    flaky.then("502", "503")
    transport = wrapped(flaky_url, session, retries=2)
    assert await transport.execute(request()) == {"data": {"hello": "ok"}}
    assert len(flaky.calls) == 3
    flaky.calls.clear()
    flaky.then("504", "504", "504")
    with pytest.raises(SubgraphUnavailable, match="HTTP 504"):
        await transport.execute(request())
    assert len(flaky.calls) == 3   # one attempt and the two retries


async def test_a_mutation_is_never_retried(flaky: FlakySubgraph, flaky_url: str,
                                           session: aiohttp.ClientSession) -> None:
    flaky.then("503")
    with pytest.raises(SubgraphUnavailable, match="HTTP 503"):
        await wrapped(flaky_url, session, retries=3).execute(request("mutation { poke }"))
    assert len(flaky.calls) == 1


async def test_other_failures_are_not_retried(flaky: FlakySubgraph, flaky_url: str,
                                              session: aiohttp.ClientSession) -> None:
    flaky.then("500")
    transport = wrapped(flaky_url, session, retries=3)
    with pytest.raises(SubgraphUnavailable, match="HTTP 500"):
        await transport.execute(request())
    assert len(flaky.calls) == 1
    flaky.calls.clear()
    flaky.then(("slow", 1.0))
    with pytest.raises(SubgraphUnavailable, match="timed out"):
        await wrapped(flaky_url, session, retries=3, timeout_s=0.2).execute(request())
    assert len(flaky.calls) == 1   # a timed-out query may be running still: not sent again


async def test_a_refused_connection_is_retried(session: aiohttp.ClientSession) -> None:
    transport = wrapped(f"http://127.0.0.1:{free_port()}/graphql", session, retries=2,
                        breaker_failures=3)
    with pytest.raises(SubgraphUnavailable, match="cannot connect"):
        await transport.execute(request())
    assert transport.breaker.state is CircuitState.OPEN   # three attempts, three failures


async def test_the_subgraph_timeout_bounds_each_attempt(flaky: FlakySubgraph, flaky_url: str,
                                                        session: aiohttp.ClientSession) -> None:
    flaky.then(("slow", 2.0))
    started = time.monotonic()
    with pytest.raises(SubgraphUnavailable, match="timed out"):
        await wrapped(flaky_url, session, timeout_s=0.3).execute(request(deadline_s=10))
    assert 0.25 < time.monotonic() - started < 1.0


async def test_a_transport_that_does_not_bound_itself_is_bounded() -> None:
    """HTTP ends each call at its deadline by itself; any other transport gets a timer."""

    class Hanging:
        async def execute(self, request: SubgraphRequest) -> dict[str, object]:
            await asyncio.sleep(5)
            return {"data": {}}

        async def close(self) -> None:
            pass

    transport = Resilient("flaky", Hanging(), SubgraphPolicy(timeout_s=0.2, retries=0))
    started = time.monotonic()
    with pytest.raises(SubgraphUnavailable, match=r"timed out after 0\.2 s"):
        await transport.execute(request(deadline_s=10))
    assert time.monotonic() - started < 1.0
    assert HttpTransport.bounds_itself


async def test_retries_stay_within_the_operation_budget(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resilience.random, "uniform", lambda _low, high: high)  # no jitter
    flaky.then(*["503"] * 6)
    started = time.monotonic()
    with pytest.raises(SubgraphUnavailable, match="HTTP 503"):
        await wrapped(flaky_url, session, retries=5, backoff_s=0.4).execute(
            request(deadline_s=0.3))
    assert len(flaky.calls) == 1   # a 0.4 s pause would outlive the budget
    flaky.calls.clear()
    with pytest.raises(SubgraphUnavailable, match="HTTP 503"):
        await wrapped(flaky_url, session, retries=5, backoff_s=0.1).execute(
            request(deadline_s=0.3))
    assert len(flaky.calls) == 2   # 0.1 s fits, the next 0.2 s does not
    assert time.monotonic() - started < 0.6


async def test_the_circuit_opens_fails_fast_and_recovers(flaky: FlakySubgraph, flaky_url: str,
                                                         session: aiohttp.ClientSession) -> None:
    transport = wrapped(flaky_url, session, retries=0, breaker_failures=2,
                        breaker_cooldown_s=0.3)
    flaky.then("503", "503")
    for _ in range(2):
        with pytest.raises(SubgraphUnavailable, match="HTTP 503"):
            await transport.execute(request())
    with pytest.raises(CircuitOpen, match="circuit open"):
        await transport.execute(request())
    assert len(flaky.calls) == 2   # the open circuit did not call the subgraph
    await asyncio.sleep(0.35)
    flaky.then("503")   # the half-open probe fails: open again
    with pytest.raises(SubgraphUnavailable, match="HTTP 503"):
        await transport.execute(request())
    with pytest.raises(CircuitOpen):
        await transport.execute(request())
    await asyncio.sleep(0.35)
    assert await transport.execute(request()) == {"data": {"hello": "ok"}}
    assert transport.breaker.state is CircuitState.CLOSED
    assert len(flaky.calls) == 4


def test_the_circuit_opens_on_the_failure_rate() -> None:
    now = [0.0]
    breaker = CircuitBreaker(SubgraphPolicy(breaker_failures=100, breaker_window=10,
                                            breaker_failure_rate=0.5, breaker_cooldown_s=5),
                             clock=lambda: now[0])
    for ok in [True, False] * 4 + [True]:
        breaker.record(ok)
    assert breaker.state is CircuitState.CLOSED   # nine attempts: the window is not full
    breaker.record(False)
    assert breaker.state is CircuitState.OPEN and not breaker.allow()
    now[0] = 5.0
    assert breaker.allow() and breaker.state is CircuitState.HALF_OPEN
    assert not breaker.allow()   # one probe at a time
    breaker.record(None)   # the probe was cancelled: the next call may probe
    assert breaker.allow()
    breaker.record(True)
    assert breaker.state is CircuitState.CLOSED


async def test_the_budget_running_out_is_not_the_subgraphs_failure(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession) -> None:
    transport = wrapped(flaky_url, session, breaker_failures=1)
    flaky.then(("slow", 0.5))
    with pytest.raises(SubgraphUnavailable, match="timed out"):
        await transport.execute(request(deadline_s=0.1))
    assert transport.breaker.state is CircuitState.CLOSED


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPGATE_SUBGRAPH_DEFAULTS", '{"timeout_s": 4, "retries": 1}')
    monkeypatch.setenv("LOOPGATE_SUBGRAPHS", '{"reviews": {"timeout_s": 2}}')
    settings = ResilienceSettings()
    assert (settings.policy("reviews").timeout_s, settings.policy("reviews").retries) == (2, 1)
    assert settings.policy("users").timeout_s == 4
    monkeypatch.setenv("LOOPGATE_SUBGRAPHS", '{"reviews": {"timeout": 2}}')
    with pytest.raises(ValidationError, match="timeout"):
        ResilienceSettings()
    monkeypatch.setenv("LOOPGATE_SUBGRAPHS", '{"reviews": {"retries": -1}}')
    with pytest.raises(ValidationError, match="retries"):
        ResilienceSettings()


async def test_the_router_over_http_applies_the_policies(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession) -> None:
    graph = supergraph(flaky_url)
    settings = ResilienceSettings(subgraphs={"flaky": {"retries": 0, "breaker_failures": 1,
                                                       "breaker_cooldown_s": 60}})
    gateway = Gateway(graph, TransportRouter.over_http(graph.subgraphs.values(), session,
                                                       resilience=settings))
    flaky.then("502")
    first = await gateway.execute(GraphQLRequest("{ hello }"))
    second = await gateway.execute(GraphQLRequest("{ hello }"))
    assert len(flaky.calls) == 1
    assert "HTTP 502" in first.response["errors"][0]["message"]
    error = second.response["errors"][0]
    assert "circuit open" in error["message"]
    assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "serviceName": "flaky"}
