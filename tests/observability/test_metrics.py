"""/metrics: requests, latency per operation (bounded names), errors by code, subgraph
fetches, plan-cache lookups, in-flight requests; each app counts for itself."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.observability import ObservabilitySettings, instrument
from gateway.observability.metrics import share_between_workers
from tests.observability.apps import QUERY, client, gateway_app
from tests.observability.servers import FlakySubgraph, until


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition, keyed by name and labels."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def _graphql_like(request: Request) -> JSONResponse:
    """Leaves in request.state what the GraphQL endpoint leaves there."""
    body = await request.json()
    request.state.graphql_operation = body.get("operationName")
    request.state.graphql_outcome = body.get("outcome")
    request.state.graphql_error_codes = body.get("codes", [])
    return JSONResponse({"data": None})


def graphql_like_app(names: int = 200) -> Starlette:
    app = Starlette(routes=[Route("/graphql", _graphql_like, methods=["POST"])])
    instrument(app, ObservabilitySettings(metrics_operation_names=names))
    return app


async def test_operations_outcomes_and_error_codes_are_counted() -> None:
    app = graphql_like_app()
    async with client(app) as http:
        await http.post("/graphql", json={"operationName": "Cart", "outcome": "executed"})
        await http.post("/graphql", json={"operationName": "Cart", "outcome": "executed",
                                          "codes": ["SUBGRAPH_UNAVAILABLE"]})
        await http.post("/graphql", json={"outcome": "parse_failed",
                                          "codes": ["GRAPHQL_PARSE_FAILED"]})
        await http.post("/graphql", json={})   # outcome None, e.g. the GraphiQL page
        text = (await http.get("/metrics")).text
    assert value(text, "loopgate_graphql_requests_total", operation="Cart",
                 outcome="executed") == 2
    assert value(text, "loopgate_graphql_requests_total", operation="anonymous",
                 outcome="parse_failed") == 1
    assert sum(count for (name, _labels), count in samples(text).items()
               if name == "loopgate_graphql_requests_total") == 3
    assert value(text, "loopgate_graphql_request_duration_seconds_count", operation="Cart") == 2
    assert value(text, "loopgate_graphql_errors_total", code="SUBGRAPH_UNAVAILABLE") == 1
    assert value(text, "loopgate_graphql_errors_total", code="GRAPHQL_PARSE_FAILED") == 1
    assert value(text, "loopgate_http_requests_total", method="POST", status="200") == 4


async def test_operation_names_past_the_limit_count_as_other() -> None:
    app = graphql_like_app(names=2)
    async with client(app) as http:
        for name in ["A", "B", "C", "D", "A"]:
            await http.post("/graphql", json={"operationName": name, "outcome": "executed"})
        text = (await http.get("/metrics")).text
    counted = {dict(labels)["operation"]: count for (name, labels), count in samples(text).items()
               if name == "loopgate_graphql_requests_total"}
    assert counted == {"A": 2, "B": 1, "other": 2}


async def test_each_app_counts_for_itself() -> None:
    first, second = graphql_like_app(), graphql_like_app()
    async with client(first) as http:
        await http.post("/graphql", json={"operationName": "Only", "outcome": "executed"})
    async with client(second) as http:
        text = (await http.get("/metrics")).text
    assert value(text, "loopgate_graphql_requests_total", operation="Only",
                 outcome="executed") == 0


async def test_subgraph_fetches_and_plan_cache_through_the_gateway(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession) -> None:
    app = gateway_app(flaky_url, session)
    flaky.then("500", "503")
    async with client(app) as http:
        for _ in range(3):
            await http.post("/graphql", json=QUERY)
        text = (await http.get("/metrics")).text
    assert len(flaky.calls) == 4   # the 503 was retried
    assert value(text, "loopgate_subgraph_fetch_retries_total", subgraph="flaky") == 1
    assert value(text, "loopgate_subgraph_fetch_duration_seconds_count", subgraph="flaky") == 3
    assert value(text, "loopgate_subgraph_fetch_errors_total", subgraph="flaky",
                 kind="unavailable") == 1
    assert value(text, "loopgate_plan_cache_lookups_total", result="miss") == 1
    assert value(text, "loopgate_plan_cache_lookups_total", result="hit") == 2


async def test_the_endpoint_reports_operation_and_outcome(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession) -> None:
    app = gateway_app(flaky_url, session)
    async with client(app) as http:
        await http.post("/graphql", json=QUERY)
        await http.post("/graphql", json={"query": "{ nope }"})
        page = await http.get("/graphql", headers={"accept": "text/html"})
        text = (await http.get("/metrics")).text
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    outcomes = {dict(labels)["outcome"] for (name, labels), _count in samples(text).items()
                if name == "loopgate_graphql_requests_total"}
    assert outcomes == {"executed", "validation_failed"}   # the GraphiQL page is not counted
    assert value(text, "loopgate_graphql_requests_total", operation="Hello",
                 outcome="executed") == 1
    assert value(text, "loopgate_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert len(flaky.calls) == 1   # the invalid query reached no subgraph


async def test_in_flight_requests(flaky: FlakySubgraph, flaky_url: str,
                                  session: aiohttp.ClientSession) -> None:
    app = gateway_app(flaky_url, session)
    flaky.then(("slow", 0.5))
    async with client(app) as http:
        slow = asyncio.create_task(http.post("/graphql", json=QUERY))
        await until(lambda: flaky.calls)
        during = (await http.get("/metrics")).text
        await slow
        after = (await http.get("/metrics")).text
    assert value(during, "loopgate_http_requests_in_flight") == 2   # the slow one and /metrics
    assert value(after, "loopgate_http_requests_in_flight") == 1


async def test_metrics_can_be_turned_off(flaky_url: str,
                                         session: aiohttp.ClientSession) -> None:
    app = gateway_app(flaky_url, session, settings=ObservabilitySettings(metrics=False))
    async with client(app) as http:
        assert (await http.get("/metrics")).status_code == 404


async def test_unusual_methods_count_as_other() -> None:
    app = graphql_like_app()
    async with client(app) as http:
        await http.request("BREW", "/graphql")
        text = (await http.get("/metrics")).text
    assert value(text, "loopgate_http_requests_total", method="other", status="405") == 1


def test_multiprocess_mode_collects_every_workers_counts(tmp_path: Path) -> None:
    script = """
from gateway.observability.metrics import Metrics
first, second = Metrics(), Metrics()
first.plan_cache.labels("hit").inc()
second.plan_cache.labels("hit").inc(2)
print(first.render()[0].decode())
"""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    assert value(done.stdout, "loopgate_plan_cache_lookups_total", result="hit") == 3
    assert list(tmp_path.iterdir())   # the values live in the shared directory


def test_workers_share_a_fresh_directory_unless_one_is_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert share_between_workers() == str(tmp_path)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    made = share_between_workers()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == made and Path(made).is_dir()
    assert not list(Path(made).iterdir())


def test_an_app_is_instrumented_once() -> None:
    app = graphql_like_app()
    with pytest.raises(ValueError, match="instrumented already"):
        instrument(app)
