"""In-flight de-duplication: identical concurrent calls share one execution.

Under load many clients send the same operation at once, so a gateway makes the same
subgraph call (same URL, body and caller headers) many times within a few milliseconds.
:class:`InFlight` lets the first caller of a key start the call and every caller that comes
while it runs await the same outcome: one subgraph round trip instead of N, and N-1 fewer
requests for the subgraph to serve. A key is dropped as soon as its call ends, so nothing is
cached: a later caller always gets a fresh call.

Each waiter is shielded from the others: cancelling one (its operation ran out of time, its
client went away) leaves the shared call running for the rest; only when every waiter has
gone is the call itself cancelled, so no subgraph work outlives all its callers. A failure
reaches every waiter as the same exception. Results are shared objects: callers should share
immutable values (the HTTP transport shares the reply's bytes and decodes them per waiter,
because the executor merges decoded answers into its response tree in place).
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Call(Generic[T]):
    """One running shared call and how many callers still wait for it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[T]) -> None:
        self.task = task
        self.waiters = 0


class InFlight(Generic[T]):
    """Shares each running call among the callers that ask for the same key meanwhile."""

    def __init__(self) -> None:
        self._calls: dict[Hashable, _Call[T]] = {}

    def __len__(self) -> int:
        """Keys with a call running now."""
        return len(self._calls)

    async def run(self, key: Hashable, start: Callable[[], Awaitable[T]]) -> T:
        """The outcome of the running call for ``key``, or of ``start()`` begun now."""
        call = self._calls.get(key)
        if call is None:
            call = _Call(asyncio.ensure_future(start()))
            self._calls[key] = call
            call.task.add_done_callback(lambda _task: self._forget(key, call))
        call.waiters += 1
        try:
            return await asyncio.shield(call.task)
        except asyncio.CancelledError:
            if call.waiters == 1 and not call.task.done():
                self._forget(key, call)  # a caller arriving now starts afresh
                call.task.cancel()
            raise
        finally:
            call.waiters -= 1

    def _forget(self, key: Hashable, call: "_Call[T]") -> None:
        if self._calls.get(key) is call:
            del self._calls[key]
