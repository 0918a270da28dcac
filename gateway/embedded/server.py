"""Start, stop and inspect the embedded FerretDB process.

The process is detached (its own session) so ``loopgate db start`` can return while it runs;
a small JSON file in the state directory records its pid and port, which is how
``serve`` finds and reuses a running instance. Data lives under the same directory, so it
survives restarts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from gateway.embedded.build import Progress, ensure_binary

GC_PERCENT = "400"
"""Go's ``GOGC`` for the FerretDB process unless the operator's environment sets one.

FerretDB v1 allocates heavily per request (it decodes every document it touches from JSON
into its own types), and on a 2-core machine the collector took about a sixth of its CPU:
measured on 10,000 point reads, 3.3 s at Go's default of 100 against 2.7 s at 400, with
10,000 updates barely changing (7.8 s to 7.6 s). Its live heap is tens of MiB, so the
price is a few hundred MiB at most.
"""

MEMORY_LIMIT = "1GiB"
"""Go's ``GOMEMLIMIT`` for the FerretDB process unless the operator's environment sets one.

FerretDB v1 holds every document a query scans, decoded, until the query ends, and Go
returns freed memory to the system lazily: 30 concurrent sorted scans of 2,000 stores drove
it from 56 MB to 4.8 GB resident (100 of them to 16 GB), and it stayed there. With this
soft limit the collector works harder as the heap nears it and hands memory back: the same
30 scans peaked at 1.17 GB (and ran a third slower), while ordinary loads, whose live heap
is tens of MiB, never reach it. It is soft: a live heap above it still grows, which the
gateway's operation limits and per-app concurrency keep from happening
(``bench/embedded/memory.py`` measures both).
"""


class EmbeddedDbError(RuntimeError):
    """The embedded database could not be started or reached; the message says why."""


@dataclass(frozen=True)
class RunningDb:
    """A FerretDB process we started: where it listens and how to stop it."""

    pid: int
    port: int
    state_dir: Path

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def data_dir(self) -> Path:
        """Where FerretDB keeps its SQLite files (one per database)."""
        return data_dir(self.state_dir)


def _db_dir(state_dir: Path) -> Path:
    return state_dir / "ferretdb"


def data_dir(state_dir: Path) -> Path:
    return _db_dir(state_dir) / "data"


def _record_file(state_dir: Path) -> Path:
    return _db_dir(state_dir) / "process.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ping(port: int, timeout_ms: int = 500) -> bool:
    """True when a MongoDB-wire server answers ``ping`` on 127.0.0.1:port."""
    client: MongoClient = MongoClient(
        f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms, directConnection=True,
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def status(state_dir: Path) -> RunningDb | None:
    """The running embedded database for this state directory, if it answers."""
    record = _record_file(state_dir)
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    running = RunningDb(pid=int(data["pid"]), port=int(data["port"]), state_dir=state_dir)
    if _alive(running.pid) and ping(running.port):
        return running
    return None


def _port_free(port: int) -> bool:
    """Whether nobody listens on ``port``. SO_REUSEADDR, as FerretDB's own listener sets it,
    so connections of a just-stopped instance lingering in TIME-WAIT do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """An ephemeral port nobody listens on right now (for tests and parallel instances)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_environment(inherited: Mapping[str, str]) -> dict[str, str]:
    """The FerretDB process's environment: ours, with :data:`GC_PERCENT` and
    :data:`MEMORY_LIMIT` by default."""
    return {"GOGC": GC_PERCENT, "GOMEMLIMIT": MEMORY_LIMIT, **inherited}


def start(state_dir: Path, cache_dir: Path, *, port: int,
          progress: Progress = lambda _line: None, timeout_s: float = 30.0) -> RunningDb:
    """Start FerretDB (building it first if needed) and wait until it answers ``ping``.

    Reuses an instance already running for this state directory.
    """
    existing = status(state_dir)
    if existing is not None:
        return existing
    binary = ensure_binary(cache_dir, progress)
    if not _port_free(port):
        raise EmbeddedDbError(
            f"port {port} on 127.0.0.1 is already in use; pass another with --db-port"
        )
    base = _db_dir(state_dir)
    data_dir(state_dir).mkdir(parents=True, exist_ok=True)
    (base / "state").mkdir(parents=True, exist_ok=True)
    command = [
        str(binary), "--handler=sqlite", f"--sqlite-url=file:{data_dir(state_dir)}/",
        f"--listen-addr=127.0.0.1:{port}", f"--state-dir={base / 'state'}",
        "--debug-addr=-", "--telemetry=disable", "--log-level=warn",
    ]
    with (base / "ferretdb.log").open("ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env=server_environment(os.environ))
    progress(f"started FerretDB (pid {proc.pid}) on 127.0.0.1:{port}")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmbeddedDbError(
                f"FerretDB exited with code {proc.returncode}; see {base / 'ferretdb.log'}"
            )
        if ping(port, timeout_ms=300):
            running = RunningDb(pid=proc.pid, port=port, state_dir=state_dir)
            _record_file(state_dir).write_text(json.dumps({"pid": proc.pid, "port": port}))
            return running
        time.sleep(0.1)
    proc.kill()
    raise EmbeddedDbError(f"FerretDB did not answer ping within {timeout_s:.0f} s")


def stop(state_dir: Path, timeout_s: float = 10.0) -> bool:
    """Stop the instance recorded for this state directory; False if none was running."""
    record = _record_file(state_dir)
    try:
        pid = int(json.loads(record.read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return False
    record.unlink(missing_ok=True)
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = 0 if _alive(pid) else pid
        if done == pid or not _alive(pid):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True
