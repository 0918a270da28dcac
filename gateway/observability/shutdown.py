"""Graceful shutdown: in-flight requests finish, new ones are turned away, readiness drops.

uvicorn on SIGTERM/SIGINT stops listening, lets the requests in flight finish and closes
idle keep-alive connections, then runs the lifespan shutdown. What it cannot do is tell the
load balancer first: a gateway that vanishes from under its proxy makes the proxy's next
requests fail. :class:`Shutdown` is the draining flag: once :meth:`Shutdown.begin` ran, the
observability middleware answers ``/readyz`` and every new request (``/healthz`` and
``/metrics`` aside) with 503, ``SERVICE_UNAVAILABLE`` and ``Connection: close``, while the
requests already running go on.

:class:`GracefulServer` is a uvicorn server whose signal handler begins draining first and
hands the signal to uvicorn ``delay_s`` later (``LOOPGATE_SHUTDOWN_DELAY_S``, default 0):
during that delay the listener stays open, so the proxy's health checks see 503 and it stops
routing here; after it, new connections are refused. A second signal stops waiting.
"""

import asyncio
import logging
from types import FrameType

import uvicorn

_log = logging.getLogger(__name__)


class Shutdown:
    """The draining flag of one app."""

    def __init__(self) -> None:
        self.draining = False

    def begin(self) -> None:
        if not self.draining:
            _log.info("shutting down: new requests get 503, in-flight requests finish")
        self.draining = True


class GracefulServer(uvicorn.Server):
    """A uvicorn server that drains ``shutdown`` for ``delay_s`` before it stops listening."""

    def __init__(self, config: uvicorn.Config, shutdown: Shutdown, delay_s: float = 0.0) -> None:
        super().__init__(config)
        self.shutdown_flag = shutdown
        self.delay_s = delay_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._signalled = False

    async def serve(self, sockets: list | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Signal handler: drain at once, let uvicorn stop ``delay_s`` later (at once on a
        second signal)."""
        self.shutdown_flag.begin()
        if not self._signalled and self.delay_s > 0 and self._loop is not None:
            self._signalled = True
            self._loop.call_soon_threadsafe(self._loop.call_later, self.delay_s,
                                            self._stop, sig, frame)
            return
        super().handle_exit(sig, frame)

    def _stop(self, sig: int, frame: FrameType | None) -> None:
        if not self.should_exit:
            super().handle_exit(sig, frame)
