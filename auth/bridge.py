"""Calling the async stores from authlib's synchronous code.

authlib runs in a worker thread started with ``anyio.to_thread.run_sync``; from there,
:func:`call` runs a coroutine function back on the event loop and waits for its result. The
loop is never blocked, and there is one data layer (PyMongo's async API) for everything.
"""

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import anyio.from_thread

P = ParamSpec("P")
T = TypeVar("T")


def call(function: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``function(*args, **kwargs)`` on the event loop from an anyio worker thread."""

    async def run() -> T:
        return await function(*args, **kwargs)

    return anyio.from_thread.run(run)
