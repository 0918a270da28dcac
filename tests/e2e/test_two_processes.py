"""Two ``loopgate serve`` processes on one database, as two replicas behind a proxy run.

Real processes (ports 4500-4599) over the test session's FerretDB: both answer; relays and
sweeps run in one of them only, under the lease ``jobs:<database>``, and the other takes
over once the holder dies; a supergraph publish and a rollback reach both without a restart.

:func:`two_servers` is the fixture to reuse for other shared-state checks across processes
(e.g. rate limits shared through the database).
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from gateway.platform import PLATFORM_SUBGRAPHS, compose_platform
from gateway.supergraph_versions import VERSIONS
from schema.kernel.ids import new_id
from schema.kernel.leases import LEASES
from schema.kernel.sandbox import sandbox_name

PORTS = range(4500, 4600)
TAKEOVER_WITHIN_S = 30.0
"""The lease's term (15 s) plus a renewal interval, with room for a loaded machine."""


@dataclass
class Server:
    port: int
    process: subprocess.Popen[str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ask(self, query: str) -> dict:
        return httpx.post(f"{self.base}/graphql", json={"query": query}, timeout=10).json()


@dataclass
class TwoServers:
    """Two serve processes on database ``db`` of ``uri``."""

    uri: str
    db: str
    servers: list[Server]

    def lease_holder(self, name: str, database: str | None = None) -> str | None:
        """The holder of lease ``name`` (kept in the database whose work it guards)."""
        with MongoClient(self.uri, tz_aware=True) as client:
            found = client[database or self.db][LEASES].find_one({"_id": name})
        return None if found is None else found.get("holder")


def free_port_is(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start(uri: str, db: str, state: Path, taken: set[int]) -> Server:
    """``loopgate serve`` on the first free port of :data:`PORTS` not yet taken."""
    port = next(p for p in PORTS if p not in taken and free_port_is(p))
    taken.add(port)
    env = {**os.environ, "LOOPGATE_MONGODB_URI": uri, "LOOPGATE_DB": db,
           "LOOPGATE_STATE_DIR": str(state)}
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port",
                                str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    return Server(port, process)


def _wait_ready(server: Server, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.process.communicate()[1]
        try:
            if httpx.get(f"{server.base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"serve on {server.port} did not become ready")


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
    try:
        server.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.communicate()


@pytest.fixture(scope="module")
def two_servers(ferretdb: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoServers]:
    """Two ``loopgate serve`` processes on one fresh database; stopped and dropped after."""
    db = f"t_two_{new_id('evt')[4:].lower()}"
    state = tmp_path_factory.mktemp("two-servers")
    taken: set[int] = set()
    servers = [_start(ferretdb, db, state, taken)]
    _wait_ready(servers[0])   # the first creates indexes and the signing key alone
    servers.append(_start(ferretdb, db, state, taken))
    try:
        _wait_ready(servers[1])
        yield TwoServers(ferretdb, db, servers)
    finally:
        for server in servers:
            _stop(server)
        with MongoClient(ferretdb) as client:
            client.drop_database(db)
            client.drop_database(sandbox_name(db))


def _pid_of(holder: str | None) -> int | None:
    return None if holder is None else int(holder.split(":")[1])


def _eventually(check, within_s: float, message: str) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, message
        time.sleep(0.5)


def _serves_orders(server: Server) -> bool:
    """Whether the supergraph served has ``Query.order`` (an anonymous caller is refused the
    field, but the operation validates)."""
    errors = server.ask('{ order(id: "ord_01J0000000000000000000000") { id } }')["errors"]
    return all(e["extensions"]["code"] != "GRAPHQL_VALIDATION_FAILED" for e in errors)


def test_both_processes_answer(two_servers: TwoServers) -> None:
    for server in two_servers.servers:
        assert server.ask("{ __typename }")["data"] == {"__typename": "Query"}


def test_a_publish_and_a_rollback_reach_both_processes(two_servers: TwoServers) -> None:
    """Both serve the platform supergraph (version 1, published by the first); a version
    without the orders subgraph, published from outside, reaches both; so does the rollback."""
    for server in two_servers.servers:
        assert _serves_orders(server)
    without_orders = compose_platform([s for s in PLATFORM_SUBGRAPHS if s.name != "orders"])
    cli = [sys.executable, "-m", "gateway.cli", "supergraph"]
    db_args = ["--mongodb-uri", two_servers.uri, "--db", two_servers.db]
    with MongoClient(two_servers.uri) as client:
        assert client[two_servers.db][VERSIONS].count_documents({}) == 1
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"{two_servers.db}.graphql"
    path.write_text(without_orders)
    try:
        published = subprocess.run([*cli, "publish", str(path), *db_args], capture_output=True,
                                   text=True, timeout=60)
    finally:
        path.unlink()
    assert published.returncode == 0, published.stderr
    for server in two_servers.servers:
        _eventually(lambda s=server: not _serves_orders(s), 10,
                    f"the publish did not reach the server on {server.port}")
    rolled = subprocess.run([*cli, "rollback", "1", *db_args], capture_output=True, text=True,
                            timeout=60)
    assert rolled.returncode == 0, rolled.stderr
    for server in two_servers.servers:
        _eventually(lambda s=server: _serves_orders(s), 10,
                    f"the rollback did not reach the server on {server.port}")


@pytest.mark.slow
def test_one_process_runs_the_jobs_and_the_other_takes_over_when_it_dies(
        two_servers: TwoServers) -> None:
    pids = {server.process.pid: server for server in two_servers.servers}
    live, sandbox = f"jobs:{two_servers.db}", f"jobs:{sandbox_name(two_servers.db)}"
    _eventually(lambda: _pid_of(two_servers.lease_holder(live)) in pids, 15,
                "no process took the jobs lease")
    holder = _pid_of(two_servers.lease_holder(live))
    for _ in range(4):   # the holder keeps it: renewals, not a tug of war
        time.sleep(1)
        assert _pid_of(two_servers.lease_holder(live)) == holder
    assert _pid_of(two_servers.lease_holder(f"auth-upkeep:{two_servers.db}")) in pids
    assert _pid_of(two_servers.lease_holder(sandbox, sandbox_name(two_servers.db))) in pids
    dead = pids[holder]
    dead.process.send_signal(signal.SIGKILL)   # no release: the lease must expire
    dead.process.communicate(timeout=30)
    other = next(pid for pid in pids if pid != holder)
    _eventually(lambda: _pid_of(two_servers.lease_holder(live)) == other, TAKEOVER_WITHIN_S,
                "the surviving process did not take the jobs lease over")
    survivor = pids[other]
    assert survivor.ask("{ __typename }")["data"] == {"__typename": "Query"}
