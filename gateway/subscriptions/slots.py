"""A cap on each app's open subscriptions in this process (``RATE_LIMITED`` past it).

A subscription holds a poll loop and a connection for as long as it lives, so an app may not
open them without bound; the cap is per process (each process polls its own subscriptions),
so behind N processes an app may hold up to N times as many.
"""

from collections import Counter
from collections.abc import Callable

from gateway.subscriptions.errors import Refused
from schema.kernel.errors import ErrorCode

DEFAULT_PER_APP = 20
RETRY_AFTER_S = 5


class SubscriptionSlots:
    """Counts each app's open subscriptions; :meth:`take` refuses one past ``per_app``."""

    def __init__(self, per_app: int = DEFAULT_PER_APP) -> None:
        if per_app < 1:
            raise ValueError("per_app must be at least 1")
        self.per_app = per_app
        self._open: Counter[str] = Counter()

    def open(self, key: str) -> int:
        return self._open[key]

    def take(self, key: str) -> Callable[[], None]:
        """A slot for ``key`` and the function giving it back (once, whatever the calls)."""
        if self._open[key] >= self.per_app:
            raise Refused.of(f"this app already has {self.per_app} open subscriptions in this "
                             "process: end one first", ErrorCode.RATE_LIMITED, RETRY_AFTER_S,
                             retryAfter=RETRY_AFTER_S, limit=self.per_app)
        self._open[key] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._open[key] -= 1
                if self._open[key] <= 0:
                    del self._open[key]

        return release
