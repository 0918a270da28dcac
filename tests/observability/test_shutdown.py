"""Graceful shutdown: in-flight requests finish with 200 after SIGTERM; new requests are
refused (no delay: the listener closes at once) or answered 503 SERVICE_UNAVAILABLE with
``Connection: close`` while ``LOOPGATE_SHUTDOWN_DELAY_S`` lasts, /readyz 503 from the signal
on. A real uvicorn in a subprocess receives the real signal."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import aiohttp
import httpx
import pytest

from gateway.observability import ObservabilitySettings, Shutdown
from tests.observability.apps import QUERY, client, gateway_app
from tests.observability.servers import FlakySubgraph, free_port

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def gateway_process(subgraph_url: str, delay_s: float,
                    workers: int = 1) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    env = {**os.environ, "LOOPGATE_SHUTDOWN_DELAY_S": str(delay_s)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.observability.drain_server", str(port), subgraph_url,
         str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)   # its own process group: workers included in the clean-up
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60   # workers import the gateway on two busy cores
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)   # before reading its output to EOF
                raise RuntimeError(f"gateway did not start: {process.stdout.read()!r}")
            time.sleep(0.05)
        yield process, base
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()


def in_flight(base: str, flaky: FlakySubgraph) -> tuple[threading.Thread, list[httpx.Response]]:
    """A slow GraphQL request, started and waited for until it reached the subgraph."""
    flaky.then(("slow", 1.5))
    replies: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: replies.append(httpx.post(f"{base}/graphql", json=QUERY, timeout=10)))
    thread.start()
    deadline = time.monotonic() + 5
    while not flaky.calls:
        assert time.monotonic() < deadline, "the slow request did not reach the subgraph"
        time.sleep(0.02)
    return thread, replies


def draining(base: str) -> None:
    """Wait until /readyz answers 503 three times in a row (every worker got the signal:
    uvicorn's supervisor looks at its signals every 0.5 s)."""
    deadline = time.monotonic() + 5
    in_a_row = 0
    while in_a_row < 3:
        assert time.monotonic() < deadline, "/readyz did not turn 503"
        in_a_row = in_a_row + 1 if httpx.get(f"{base}/readyz").status_code == 503 else 0
        time.sleep(0.02)


def test_sigterm_lets_in_flight_requests_finish_and_refuses_new_ones(
        flaky: FlakySubgraph, flaky_url: str) -> None:
    with gateway_process(flaky_url, delay_s=0) as (process, base):
        thread, replies = in_flight(base, flaky)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"{base}/graphql", json=QUERY, timeout=2)
        thread.join(timeout=10)
        assert replies[0].status_code == 200
        assert replies[0].json()["data"] == {"hello": "ok"}
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
    assert len(flaky.calls) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_during_the_shutdown_delay_new_requests_get_503(
        flaky: FlakySubgraph, flaky_url: str, workers: int) -> None:
    with gateway_process(flaky_url, delay_s=1.0, workers=workers) as (process, base):
        thread, replies = in_flight(base, flaky)
        process.send_signal(signal.SIGTERM)
        draining(base)
        refused = httpx.post(f"{base}/graphql", json=QUERY, timeout=2)
        assert refused.status_code == 503
        assert refused.headers["connection"] == "close"
        assert refused.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert httpx.get(f"{base}/healthz").status_code == 200
        thread.join(timeout=10)
        assert replies[0].status_code == 200
        assert replies[0].json()["data"] == {"hello": "ok"}
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/healthz", timeout=2)
    operations = [query for query in flaky.queries if "__LoopgateProbe" not in query]
    assert len(operations) == 1   # the refused request reached no subgraph (/readyz probes did)


async def test_a_draining_app_answers_503_and_calls_no_subgraph(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession) -> None:
    app = gateway_app(flaky_url, session)
    app.state.observability.shutdown.begin()
    async with client(app) as http:
        graphql = await http.post("/graphql", json=QUERY, headers={"X-Request-Id": "r-1"})
        ready = await http.get("/readyz")
        health = await http.get("/healthz")
        metrics = await http.get("/metrics")
    assert graphql.status_code == 503 and graphql.headers["connection"] == "close"
    assert graphql.headers["x-request-id"] == "r-1"
    assert graphql.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert ready.status_code == 503 and ready.json()["reasons"] == {
        "shutdown": "the server is shutting down"}
    assert (health.status_code, metrics.status_code) == (200, 200)
    assert 'loopgate_http_requests_total{method="POST",status="503"} 1.0' in metrics.text
    assert flaky.calls == []


async def test_the_lifespan_shutdown_begins_draining(
        flaky_url: str, session: aiohttp.ClientSession) -> None:
    app = gateway_app(flaky_url, session, settings=ObservabilitySettings())
    async with app.router.lifespan_context(app):
        assert not app.state.observability.shutdown.draining
    assert app.state.observability.shutdown.draining


async def test_signals_drain_first_and_reach_the_server_once() -> None:
    """The server's handler runs ``delay_s`` after the first signal, or at once on a second
    (and then not again when the delay ends); the handlers are restored afterwards."""
    heard: list[int] = []
    original = signal.signal(signal.SIGTERM, lambda sig, _frame: heard.append(sig))
    server_handler = signal.getsignal(signal.SIGTERM)
    shutdown = Shutdown(delay_s=0.2)
    try:
        with shutdown.on_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.05)
            assert shutdown.draining and heard == []
            await asyncio.sleep(0.3)
            assert heard == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is server_handler
        heard.clear()
        again = Shutdown(delay_s=0.2)
        with again.on_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.05)
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.3)
            assert heard == [signal.SIGTERM]   # the second signal's, and no delayed one
    finally:
        signal.signal(signal.SIGTERM, original)
