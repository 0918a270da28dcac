"""A cap on the operations one app runs at once, so one app cannot starve the others.

Each operation holds a slot of its caller's key while it runs; an app already at its cap is
refused at once (HTTP 429) instead of queueing, so a flood from one app never delays
another's requests behind it. Only keys with operations running are kept in memory. The
count is per process: N gateway processes allow N times the cap.
"""

from collections.abc import Iterator
from contextlib import contextmanager


class ConcurrencyLimiter:
    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._running: dict[str, int] = {}

    @contextmanager
    def slot(self, key: str) -> Iterator[bool]:
        """Yield True holding a slot of ``key``, or False (holding nothing) at the cap."""
        running = self._running.get(key, 0)
        if running >= self.per_key:
            yield False
            return
        self._running[key] = running + 1
        try:
            yield True
        finally:
            left = self._running[key] - 1
            if left:
                self._running[key] = left
            else:
                del self._running[key]

    def running(self, key: str) -> int:
        return self._running.get(key, 0)
