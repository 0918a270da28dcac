"""``loopgate gateway`` and ``loopgate plan``: real processes, one-line failures."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest

from tests.gateway.conftest import supergraph_sdl
from tests.gateway.servers import free_port

QUERY = '{ topProducts(first: 1) { name reviews { author { username } } } }'


def run_loopgate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def assert_one_line_failure(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")


@pytest.fixture
def supergraph_file(tmp_path: Path, subgraph_base_url: str) -> Path:
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_sdl(subgraph_base_url))
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_gateway_missing_supergraph_file(tmp_path: Path) -> None:
    result = run_loopgate("gateway", "--supergraph", str(tmp_path / "nope.graphql"))
    assert_one_line_failure(result, "does not exist")


def test_gateway_invalid_supergraph_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.graphql"
    path.write_text("type Query { hello: String }")
    assert_one_line_failure(run_loopgate("gateway", "--supergraph", str(path)),
                            f"invalid supergraph '{path}'")


def test_gateway_port_in_use(supergraph_file: Path, busy_port: int) -> None:
    result = run_loopgate("gateway", "--supergraph", str(supergraph_file),
                          "--port", str(busy_port))
    assert_one_line_failure(result, f"cannot listen on 127.0.0.1:{busy_port}")


@contextmanager
def gateway_process(supergraph_file: Path, *options: str) -> Iterator[tuple[str, list[str]]]:
    """``loopgate gateway`` on a free port until the block ends.

    Yields the base URL and a list that receives the process's stderr lines once stopped.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "gateway", "--supergraph", str(supergraph_file),
         "--port", str(port), *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    base = f"http://127.0.0.1:{port}"
    stderr: list[str] = []
    try:
        _wait_ready(base, process)
        yield base, stderr
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
        stderr.extend(err.splitlines())


def test_gateway_serves_the_supergraph_over_http_subgraphs(supergraph_file: Path) -> None:
    with gateway_process(supergraph_file) as (base, stderr):
        answer = httpx.post(f"{base}/graphql", json={"query": QUERY})
        assert answer.json()["data"] == {"topProducts": [
            {"name": "Table", "reviews": [{"author": {"username": "ada"}},
                                          {"author": {"username": "alan"}}]}]}
        assert httpx.get(f"{base}/healthz").status_code == 200
    assert not any("Traceback" in line for line in stderr)
    assert f"{base}/graphql" in stderr[0]


def test_gateway_hot_reloads_the_supergraph_file(supergraph_file: Path) -> None:
    query = {"query": '{ user(id: "u2") { username } }'}
    original = supergraph_file.read_text()
    with gateway_process(supergraph_file, "--hot-reload") as (base, stderr):
        assert httpx.post(f"{base}/graphql", json=query).json()["data"] == {
            "user": {"username": "alan"}}
        supergraph_file.write_text("not a supergraph")
        time.sleep(1.5)
        assert httpx.post(f"{base}/graphql", json=query).status_code == 200
        supergraph_file.write_text(original.replace(
            "username: String! @join__field(graph: USERS)", ""))
        _eventually(lambda: httpx.post(f"{base}/graphql", json=query).status_code == 400)
    assert any("hot reload skipped" in line for line in stderr)
    assert any("supergraph reloaded" in line for line in stderr)


def _eventually(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _wait_ready(base: str, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("loopgate gateway did not become ready")


def test_plan_prints_the_plan(supergraph_file: Path) -> None:
    result = run_loopgate("plan", "--supergraph", str(supergraph_file), QUERY)
    assert result.returncode == 0, result.stderr
    for subgraph in ("products", "reviews", "users"):
        assert subgraph in result.stdout


def test_plan_as_json_from_a_file(supergraph_file: Path, tmp_path: Path) -> None:
    query_file = tmp_path / "query.graphql"
    query_file.write_text(QUERY)
    result = run_loopgate("plan", "--supergraph", str(supergraph_file), f"@{query_file}",
                          "--json")
    assert result.returncode == 0, result.stderr
    plan = orjson.loads(result.stdout)
    assert {"products", "reviews", "users"} <= set(_subgraphs_in(plan))


def test_plan_of_an_invalid_query(supergraph_file: Path) -> None:
    result = run_loopgate("plan", "--supergraph", str(supergraph_file), "{ topProducts { sku } }")
    assert_one_line_failure(result, "invalid operation: Cannot query field 'sku'")
    assert "line 1, column 17" in result.stderr


def _subgraphs_in(node: object) -> list[str]:
    """Every ``subgraph``/``serviceName`` value anywhere in a JSON plan."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in ("subgraph", "serviceName")
                 and isinstance(v, str)]
        return found + [s for v in node.values() for s in _subgraphs_in(v)]
    if isinstance(node, list):
        return [s for v in node for s in _subgraphs_in(v)]
    return []
