"""A closed-loop load generator: N concurrent clients sharing a bounded number of requests."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Send = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    elapsed: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run_load(send: Send, requests: int, concurrency: int) -> LoadResult:
    """Run ``requests`` calls of ``send`` from ``concurrency`` clients; stops by itself."""
    remaining = requests
    latencies: list[float] = []

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await send()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return LoadResult(requests, time.perf_counter() - started, latencies)


async def paired_overhead(baseline: Send, candidate: Send, pairs: int) -> tuple[float, float,
                                                                                 float]:
    """Median latency of ``baseline``, of ``candidate``, and of their per-pair difference.

    One client alternates the two, so drift in machine load (other processes sharing the
    cores) hits both sides of each pair alike.
    """
    base: list[float] = []
    cand: list[float] = []
    for _ in range(pairs):
        for send, into in ((baseline, base), (candidate, cand)):
            started = time.perf_counter()
            await send()
            into.append(time.perf_counter() - started)
    differences = sorted(c - b for b, c in zip(base, cand, strict=True))
    return sorted(base)[pairs // 2], sorted(cand)[pairs // 2], differences[pairs // 2]
