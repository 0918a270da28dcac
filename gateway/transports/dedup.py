"""In-flight de-duplication: identical concurrent calls share one execution.

Under load many clients send the same operation at once, so a gateway makes the same
subgraph call (same URL, body and caller headers) many times within a few milliseconds.
:class:`InFlight` lets the first caller of a key make the call and every caller that comes
while it runs await the same outcome: one subgraph round trip instead of N, and N-1 fewer
requests for the subgraph to serve. A key is dropped as soon as its call ends, so nothing is
cached: a later caller always gets a fresh call.

The first caller runs the call in its own task (no extra task or shield: most calls are not
shared, and they should cost nothing more); the others wait on futures of their own, so
cancelling one of them touches nobody else. When the first caller is cancelled (its operation
ran out of time, its client went away), the call stops with it, and the callers still waiting
call again among themselves: one of them becomes the new first caller. A failure reaches every
waiter as the same exception. Results are shared objects: callers should share immutable
values (the HTTP transport shares the reply's bytes and decodes them per waiter, because the
executor merges decoded answers into its response tree in place).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class _FirstCallerGone(Exception):
    """The caller making the call was cancelled: whoever still waits must call again."""


class InFlight(Generic[T]):
    """Shares each running call among the callers that ask for the same key meanwhile."""

    def __init__(self) -> None:
        self._waiting: dict[Hashable, tuple[float | None, list[asyncio.Future[T]]]] = {}

    def __len__(self) -> int:
        """Keys with a call running now."""
        return len(self._waiting)

    async def run(self, key: Hashable, start: Callable[[], Awaitable[T]],
                  deadline: float | None = None) -> T:
        """The outcome of the running call for ``key``, or of ``start()`` made now.

        ``deadline`` (a ``time.monotonic()`` instant, None: none) is when this caller stops
        waiting: ``start()`` is expected to end by it, and a caller joining a call whose first
        caller's deadline is later waits with a timer of its own (TimeoutError), the only
        case that needs one.
        """
        while (running := self._waiting.get(key)) is not None:
            bound, waiting = running
            future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            waiting.append(future)
            try:
                if deadline is not None and (bound is None or deadline < bound):
                    async with asyncio.timeout(deadline - time.monotonic()):
                        return await future
                return await future
            except _FirstCallerGone:
                continue
        waiting = []   # the running call's waiters, as above
        self._waiting[key] = (deadline, waiting)
        try:
            result = await start()
        except asyncio.CancelledError:
            self._settle(key, waiting, error=_FirstCallerGone())
            raise
        except BaseException as error:
            self._settle(key, waiting, error=error)
            raise
        self._settle(key, waiting, result=result)
        return result

    def _settle(self, key: Hashable, waiting: list[asyncio.Future[T]], *,
                result: T | None = None, error: BaseException | None = None) -> None:
        """End the call for ``key``: every waiter still there gets its outcome."""
        del self._waiting[key]
        for future in waiting:
            if future.done():  # that waiter was cancelled
                continue
            if error is None:
                future.set_result(result)  # type: ignore[arg-type]
            else:
                future.set_exception(error)
