"""Graceful shutdown: in-flight requests finish, new ones are turned away, readiness drops.

uvicorn on SIGTERM/SIGINT stops listening, lets the requests in flight finish and closes
idle keep-alive connections, then runs the lifespan shutdown. What it cannot do is tell the
load balancer first: a gateway that vanishes from under its proxy makes the proxy's next
requests fail. :class:`Shutdown` is the draining flag: once :meth:`Shutdown.begin` ran, the
observability middleware answers ``/readyz`` and every new request (``/healthz`` and
``/metrics`` aside) with 503, ``SERVICE_UNAVAILABLE`` and ``Connection: close``, while the
requests already running go on.

The signal reaches the flag through :meth:`Shutdown.on_signals`, entered by the app's
lifespan: it puts a handler in front of the one the server installed (uvicorn's, in a single
process or in each ``--workers`` worker alike), which begins draining and hands the signal on
``delay_s`` later (``LOOPGATE_SHUTDOWN_DELAY_S``, default 0). During that delay the listener
stays open, so the proxy's health checks see 503 and it stops routing here; after it, uvicorn
stops listening and new connections are refused. A second signal is handed on at once.
"""

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)

Handler = Callable[[int, FrameType | None], Any]


class Shutdown:
    """The draining flag of one app, and the signal hook that raises it."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.draining = False
        self._handed_on = False

    def begin(self) -> None:
        if not self.draining:
            _log.info("shutting down: new requests get 503, in-flight requests finish")
        self.draining = True

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        """While open, SIGTERM and SIGINT begin draining before the server's own handler
        runs. Only Python handlers are chained (the server's): a signal left to its default
        action is left alone, as is everything off the main thread, where signals cannot be
        handled."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        chained: dict[int, Handler] = {}
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous):
                chained[sig] = previous

        def handle(sig: int, frame: FrameType | None) -> None:
            first = not self.draining
            self.begin()
            if first and self.delay_s > 0:
                loop.call_soon_threadsafe(loop.call_later, self.delay_s,
                                          self._delayed_hand_on, chained[sig], sig, frame)
            else:
                self._handed_on = True
                chained[sig](sig, frame)

        for sig in chained:
            signal.signal(sig, handle)
        try:
            yield
        finally:
            for sig, previous in chained.items():
                if signal.getsignal(sig) is handle:
                    signal.signal(sig, previous)

    def _delayed_hand_on(self, handler: Handler, sig: int, frame: FrameType | None) -> None:
        """The server's handler, unless a second signal already reached it: uvicorn would
        take a repeated SIGINT as "force quit" and drop the requests in flight."""
        if not self._handed_on:
            self._handed_on = True
            handler(sig, frame)
