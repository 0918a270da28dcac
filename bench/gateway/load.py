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
