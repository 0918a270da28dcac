"""A cap on the work one app has in flight, so one app cannot starve the others.

Each operation holds a share of its caller's allowance while it runs: one of
``per_key`` operations, and its estimated cost (:mod:`gateway.limits.cost`) out of
``cost_per_key``. Counting operations alone let one app run twenty operations at the cost
ceiling at once, enough to saturate a small machine's database for minutes; the cost allowance
keeps that to about two, while twenty cheap operations still run side by side. An operation
is always admitted when its app has nothing running, whatever its cost, so every operation
under the cost ceiling can run. An app over its allowance is refused at once (HTTP 429)
instead of queueing, so a flood from one app never delays another's requests behind it.

The share is held until the operation's work has really ended, not until its answer left: an
operation answered ``GATEWAY_TIMEOUT`` while its subgraph work still unwinds keeps counting,
so an app cannot pile new work on top of work it abandoned. Only keys with operations running
are kept in memory. This limiter is one process's (the standalone gateway's); processes on
one database share the allowance through :mod:`gateway.limits.shared_concurrency`.
"""

from collections.abc import Callable
from dataclasses import dataclass

Release = Callable[[], None]


@dataclass(slots=True)
class _Load:
    operations: int = 0
    cost: int = 0


class ConcurrencyLimiter:
    def __init__(self, per_key: int, cost_per_key: int) -> None:
        self.per_key = per_key
        self.cost_per_key = cost_per_key
        self._running: dict[str, _Load] = {}

    def acquire(self, key: str, cost: int) -> Release | None:
        """A share for one operation of ``key`` costing ``cost``; call the returned function
        exactly once when its work has ended. None (nothing held) when over the allowance."""
        load = self._running.get(key)
        if load is not None and (load.operations >= self.per_key
                                 or load.cost + cost > self.cost_per_key):
            return None
        if load is None:
            load = self._running[key] = _Load()
        load.operations += 1
        load.cost += cost
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            load.operations -= 1
            load.cost -= cost
            if not load.operations:
                del self._running[key]

        return release

    def running(self, key: str) -> int:
        """Operations of ``key`` whose work has not ended."""
        load = self._running.get(key)
        return load.operations if load else 0

    def cost_running(self, key: str) -> int:
        load = self._running.get(key)
        return load.cost if load else 0
