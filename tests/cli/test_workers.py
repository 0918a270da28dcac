"""``--workers N`` of ``loopgate serve`` and ``loopgate gateway``: real processes, real HTTP.

The parent starts N uvicorn worker processes on one port after the once-only start-up; the
standalone gateway with ``--mongo`` shares the supergraph version between its workers (the
file published once, a hot reload reaching every worker), and says so when it shares nothing.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from gateway.supergraph_versions import VERSIONS
from schema.kernel.ids import new_id
from schema.kernel.sandbox import sandbox_name
from tests.gateway.conftest import subgraphs_app, supergraph_sdl
from tests.gateway.servers import free_port, serving
from tests.gateway.test_cli import assert_one_line_failure, run_loopgate

QUERY = "{ topProducts(first: 1) { name reviews { author { username } } } }"


def _workers_of(parent: int) -> list[int]:
    """The worker processes uvicorn spawned under ``parent`` (multiprocessing's spawn)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


@contextmanager
def _running(args: list[str], env: dict[str, str], port: int) -> Iterator[list[str]]:
    """The command until the block ends (SIGTERM); yields a list that receives its stderr."""
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", *args, "--port", str(port)],
                               env={**os.environ, **env, "COLUMNS": "200"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "did not become ready"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        assert len(_workers_of(process.pid)) == 2
        yield stderr
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
        stderr.extend(err.splitlines())
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_serve_with_two_workers(ferretdb: str, tmp_path: Path) -> None:
    db, port = f"t_workers_{new_id('evt')[4:].lower()}", free_port()
    env = {"LOOPGATE_MONGODB_URI": ferretdb, "LOOPGATE_DB": db,
           "LOOPGATE_STATE_DIR": str(tmp_path)}
    try:
        with _running(["serve", "--workers", "2"], env, port) as stderr:
            for _ in range(6):
                answer = httpx.post(f"http://127.0.0.1:{port}/graphql",
                                    json={"query": "{ __typename }"}, timeout=10)
                assert answer.json()["data"] == {"__typename": "Query"}
            with MongoClient(ferretdb) as client:
                assert client[db]["oauth_signing_keys"].count_documents({}) == 1
                assert client[db][VERSIONS].count_documents({}) == 1   # one for both workers
        assert any("(2 workers)" in line for line in stderr)
    finally:
        with MongoClient(ferretdb) as client:
            client.drop_database(db)
            client.drop_database(sandbox_name(db))


def test_bad_worker_counts_are_refused(tmp_path: Path) -> None:
    assert_one_line_failure(run_loopgate("serve", "--workers", "0", "--port",
                                         str(free_port())), "--workers must be between 1")
    supergraph = tmp_path / "s.graphql"
    supergraph.write_text(supergraph_sdl())
    result = run_loopgate("gateway", "--supergraph", str(supergraph), "--workers", "0")
    assert result.returncode == 2 and "--workers must be at least 1" in result.stderr


@pytest.fixture(scope="module")
def subgraph_base_url() -> Iterator[str]:
    """The gateway tests' three subgraphs on a loopback port."""
    with serving(subgraphs_app()) as url:
        yield url


@pytest.fixture
def supergraph_file(tmp_path: Path, subgraph_base_url: str) -> Path:
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_sdl(subgraph_base_url))
    return path


def _answers(port: int, times: int = 8) -> list[dict]:
    return [httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": QUERY},
                       timeout=10).json() for _ in range(times)]


def test_gateway_workers_without_a_database_warn_that_they_share_nothing(
        supergraph_file: Path) -> None:
    port = free_port()
    with _running(["gateway", "--supergraph", str(supergraph_file), "--workers", "2"], {},
                  port) as stderr:
        assert all(a["data"]["topProducts"][0]["name"] == "Table" for a in _answers(port))
    assert any("--workers 2 without --mongo" in line for line in stderr)


def test_gateway_workers_follow_the_stored_supergraph(
        supergraph_file: Path, subgraph_base_url: str, ferretdb: str) -> None:
    """With --mongo the file is published once, and a hot reload published by the one
    watching process reaches every worker."""
    db, port = f"t_gw_{new_id('evt')[4:].lower()}", free_port()
    args = ["gateway", "--supergraph", str(supergraph_file), "--workers", "2", "--hot-reload",
            "--mongo", ferretdb, "--mongo-db", db]
    try:
        with _running(args, {}, port) as stderr:
            assert all("errors" not in a for a in _answers(port))
            with MongoClient(ferretdb) as client:
                assert client[db][VERSIONS].count_documents({}) == 1
            supergraph_file.write_text(supergraph_sdl(subgraph_base_url).replace(
                f"{subgraph_base_url}/reviews", "http://127.0.0.1:9/reviews"))
            deadline = time.monotonic() + 15
            while not all("errors" in a for a in _answers(port)):
                assert time.monotonic() < deadline, "the new version did not reach every worker"
                time.sleep(0.5)
            with MongoClient(ferretdb) as client:
                assert client[db][VERSIONS].count_documents({}) == 2
        assert any("sharing the supergraph version" in line for line in stderr)
    finally:
        with MongoClient(ferretdb) as client:
            client.drop_database(db)
