"""Waiting one's turn at a busy document.

A claimed write (:func:`schema.kernel.claims.update_claimed`) gives up after a burst of lost
claims, raising a RuntimeError ("… kept changing; gave up") having written nothing. Under a
crowd of writers at one wallet or one payment that is contention, not failure: the caller
waits a little and tries again, for up to :data:`WAIT_TURN`, then answers a retryable
CONFLICT (:class:`Contended`) instead of an internal error.
"""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
WAIT_TURN = 20.0
"""Seconds a write waits for its turn before giving up as :class:`Contended`."""


class Contended(Exception):
    """The document stayed too busy for the write; nothing was written (retryable)."""


def _gave_up(exc: RuntimeError) -> bool:
    return "kept changing" in str(exc)


async def in_turn(write: Callable[[], Awaitable[T]]) -> T:
    """Run ``write`` (a claimed write, safe to repeat) until it gets its turn."""
    deadline = time.monotonic() + WAIT_TURN
    while True:
        try:
            return await write()
        except RuntimeError as exc:
            if not _gave_up(exc):
                raise
            if time.monotonic() > deadline:
                raise Contended(str(exc)) from exc
            await asyncio.sleep(random.uniform(0.005, 0.05))
