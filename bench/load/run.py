"""The load itself: clients in a closed loop for a fixed time, and the server's memory.

Each client owns a token (its own app, so no app's concurrency or cost allowance is in the
way: the load measures the server, not one partner's limits) and sends the mix's operations
one after another for the whole duration. A request counts as an error when its status is not
200, its body is not JSON, or the body has ``errors``. The server's resident memory (RSS,
from ``/proc``) is sampled every ``sample_every`` seconds; flatness is the median of the last
quarter's samples over the first quarter's. The server's CPU time during the run says how
much of the wall time it worked (the rest is the database and the machine).
"""

import asyncio
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from bench.gateway.processes import cpu_seconds
from bench.load.operations import MIX, Operation


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    by_operation: dict[str, list[float]] = field(default_factory=dict)
    """Latencies per operation of the mix."""
    rss_mib: list[float] = field(default_factory=list)
    server_cpu_s: float = 0.0
    """CPU time (user + system) the server process used during the run."""

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentile(self, fraction: float, latencies: list[float] | None = None) -> float:
        ordered = sorted(self.latencies if latencies is None else latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0

    @property
    def rss_ratio(self) -> float:
        """Median RSS of the last quarter of samples over the first quarter's."""
        quarter = max(1, len(self.rss_mib) // 4)
        first = statistics.median(self.rss_mib[:quarter])
        return statistics.median(self.rss_mib[-quarter:]) / first

    def summary(self) -> str:
        lines = [
            f"requests: {self.requests} in {self.seconds:.1f} s = "
            f"{self.requests / self.seconds:.1f} req/s",
            f"latency: p50 {self.percentile(0.5) * 1000:.1f} ms, "
            f"p99 {self.percentile(0.99) * 1000:.1f} ms, max {max(self.latencies) * 1000:.1f} ms"
            if self.latencies else "latency: no requests",
            f"errors: {self.error_count}" + (f" {dict(self.errors)}" if self.errors else ""),
            f"server CPU: {self.server_cpu_s:.1f} s "
            f"({self.server_cpu_s / max(self.requests, 1) * 1000:.1f} ms a request, "
            f"{self.server_cpu_s / self.seconds:.2f} cores)",
            "per operation (count, p50): " + ", ".join(
                f"{name} {len(times)} {self.percentile(0.5, times) * 1000:.0f} ms"
                for name, times in sorted(self.by_operation.items())),
            "server RSS (MiB): " + " ".join(f"{mib:.0f}" for mib in self.rss_mib),
        ]
        if self.rss_mib:
            lines.append(f"RSS last/first quarter median: {self.rss_ratio:.3f}")
        return "\n".join(lines)


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` (Linux ``/proc``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def run_load(base_url: str, tokens: list[str], seconds: float, server_pid: int,
                   *, sample_every: float = 2.0, seed: int = 7,
                   mix: tuple[Operation, ...] = MIX) -> LoadResult:
    """``len(tokens)`` clients against ``base_url`` for ``seconds``."""
    result = LoadResult(seconds)
    connector = aiohttp.TCPConnector(limit=len(tokens) + 1)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as http:
        started = time.monotonic()
        cpu_before = cpu_seconds(server_pid)
        deadline = started + seconds
        sampler = asyncio.create_task(_sample(result, server_pid, sample_every, deadline))
        await asyncio.gather(*(_client(http, token, random.Random(seed + n), deadline, result, mix)
                               for n, token in enumerate(tokens)))
        result.seconds = time.monotonic() - started
        result.server_cpu_s = cpu_seconds(server_pid) - cpu_before
        await sampler
    return result


async def _client(http: aiohttp.ClientSession, token: str, rng: random.Random, deadline: float,
                  result: LoadResult, mix: tuple[Operation, ...]) -> None:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    while time.monotonic() < deadline:
        operation = rng.choice(mix)
        body = orjson.dumps({"query": operation.query, "variables": operation.variables(rng)})
        sent = time.monotonic()
        try:
            async with http.post("/graphql", data=body, headers=headers) as answer:
                payload = await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            result.errors[f"{operation.name}: {type(exc).__name__}"] += 1
            continue
        result.latencies.append(time.monotonic() - sent)
        result.by_operation.setdefault(operation.name, []).append(result.latencies[-1])
        problem = _problem(status, payload)
        if problem is not None:
            result.errors[f"{operation.name}: {problem}"] += 1


def _problem(status: int, payload: bytes) -> str | None:
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return f"HTTP {status}, not JSON"
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
        return f"HTTP {status} {'/'.join(codes)}"
    if status != 200:
        return f"HTTP {status}"
    return None


async def _sample(result: LoadResult, pid: int, every: float, deadline: float) -> None:
    while True:
        result.rss_mib.append(rss_mib(pid))
        if time.monotonic() + every > deadline:
            return
        await asyncio.sleep(every)
