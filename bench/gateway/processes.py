"""Child processes of the benchmark: start on loopback ports, wait until ready, measure CPU."""

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live descendants (a gateway that forks workers)."""
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                total += tree_cpu_seconds(int(child))
            except FileNotFoundError:  # it ended meanwhile
                continue
    return total


@contextmanager
def running(name: str, command: Sequence[str], ready_url: str, *, env: dict | None = None,
            timeout: float = 60.0, log_dir: Path) -> Iterator[subprocess.Popen]:
    """Start ``command``; yield it once ``ready_url`` answers a GraphQL POST; stop it after."""
    log = (log_dir / f"{name}.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, **(env or {})})
    try:
        _wait_ready(name, process, ready_url, timeout, log_dir)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_ready(name: str, process: subprocess.Popen, url: str, timeout: float,
                log_dir: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see "
                               f"{log_dir / (name + '.log')}")
        try:
            reply = httpx.post(url, json={"query": "{ __typename }"}, timeout=1.0)
            if reply.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{name} was not ready within {timeout:g} s; see {log_dir}")
