"""Pulling deliveries from a subscription's stream while watching the clock.

The next delivery is awaited in a task, so the wait can stop without cancelling it: every
``idle_s`` seconds without one yields None (the SSE keep-alive comment), at the token's
expiry the stream ends with an UNAUTHENTICATED :class:`Refused` even when no event comes, and
every ``session.recheck_every_s`` the token is verified again (revoked: UNAUTHENTICATED).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from gateway.subscriptions.errors import UNAUTHENTICATED_EXPIRED, Refused
from gateway.subscriptions.session import Session
from gateway.subscriptions.stream import Delivery
from schema.kernel.errors import ErrorCode

IDLE_S = 15.0


async def pump(stream: AsyncIterator[Delivery], session: Session,
               idle_s: float = IDLE_S) -> AsyncIterator[Delivery | None]:
    """The stream's deliveries, None after each ``idle_s`` without one; ends with the stream,
    or raises :class:`Refused` (UNAUTHENTICATED) when the session's token expires or no
    longer verifies."""
    pending: asyncio.Future[Delivery] | None = None
    loop = asyncio.get_running_loop()
    now = loop.time()
    idle_until, recheck_at = now + idle_s, now + session.recheck_every_s
    try:
        while True:
            left = session.seconds_left()
            if left is not None and left <= 0:
                raise Refused.of(UNAUTHENTICATED_EXPIRED, ErrorCode.UNAUTHENTICATED)
            if session.recheck is not None and loop.time() >= recheck_at:
                await session.recheck()
                recheck_at = loop.time() + session.recheck_every_s
            if pending is None:
                pending = asyncio.ensure_future(anext(stream))
            wakes = [idle_until, *([recheck_at] if session.recheck is not None else [])]
            wait = min(wakes) - loop.time()
            if left is not None:
                wait = min(wait, left)
            done, _ = await asyncio.wait({pending}, timeout=max(wait, 0))
            if not done:
                if loop.time() >= idle_until:
                    idle_until = loop.time() + idle_s
                    yield None
                continue
            finished, pending = pending, None
            try:
                delivery = finished.result()
            except StopAsyncIteration:
                return
            idle_until = loop.time() + idle_s
            yield delivery
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.wait({pending})
            if not pending.cancelled():
                pending.exception()   # retrieved: the stream is being dropped anyway
        close = getattr(stream, "aclose", None)
        if close is not None:
            with contextlib.suppress(RuntimeError):
                await close()
