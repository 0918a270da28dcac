"""What the webhook tests share: events written the way domains write them, and a real
HTTP receiver on 127.0.0.1 that can fail, hang or go away."""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web
from pymongo.asynchronous.database import AsyncDatabase

from gateway.embedded.server import free_port
from partners.urls import NetworkPolicy
from partners.webhooks.deliveries import RetryPolicy
from partners.webhooks.dispatcher import DispatcherSettings, run_dispatcher_forever
from partners.webhooks.signing import HEADER, verify
from schema.kernel.claims import update_claimed
from schema.kernel.events import append_event, mark_pending, pending_marker, relay_outboxes
from schema.kernel.time import utcnow

LOCAL = NetworkPolicy.allowing("127.0.0.0/8")
THINGS = "test_things"


def fast_settings(**changes: Any) -> DispatcherSettings:
    """Retries within a second, leases of a second and a half: the tests' time scale."""
    values: dict[str, Any] = {
        "retry": RetryPolicy(base=timedelta(milliseconds=50),
                             cap=timedelta(milliseconds=300),
                             window=timedelta(hours=1)),
        "network": LOCAL, "idle_s": 0.05, "idle_max_s": 0.2, "timeout_s": 2.0,
        "lease_ttl": timedelta(seconds=1.5)}
    return DispatcherSettings(**{**values, **changes})


async def emit(db: AsyncDatabase, partner_id: str, resource_id: str,
               topic: str = "order.created", data: dict[str, Any] | None = None,
               also_for: Sequence[str] = ()) -> None:
    """Change a document and append an event to its outbox, as a domain write does
    (``also_for``: partners whose apps took part)."""
    marker = [pending_marker(THINGS, resource_id)]
    await mark_pending(db, marker)

    def changed(current: dict[str, Any] | None) -> dict[str, Any]:
        fields = append_event(current, topic, partner_id, "Thing", resource_id,
                              data or {"n": 1}, utcnow(), also_for)
        return {**(current or {}), **fields}

    await update_claimed(db[THINGS], db, resource_id, changed)
    await mark_pending(db, marker)


async def relay_all(db: AsyncDatabase) -> int:
    """Run the relay until it has nothing left (what the background jobs do)."""
    total = 0
    while (moved := await relay_outboxes(db)) > 0:
        total += moved
    return total


@contextlib.asynccontextmanager
async def dispatching(db: AsyncDatabase, **changes: Any) -> AsyncIterator[asyncio.Task[None]]:
    """A dispatcher with :func:`fast_settings` running for the block."""
    task = asyncio.create_task(run_dispatcher_forever(db, fast_settings(**changes)))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task



@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: answers ``status`` (after ``delay_s``), records what
    it got; :meth:`stop` and :meth:`start` take it down and bring it back on its port."""

    status: int = 200
    delay_s: float = 0.0
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    answered: list[Received] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        got = Received(dict(request.headers), await request.read(), time.monotonic())
        self.received.append(got)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if 200 <= self.status < 300:
            self.answered.append(got)
        return web.Response(status=self.status)

    async def start(self) -> "Receiver":
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def event_ids(self) -> list[str]:
        """Ids of the events answered 2xx, in arrival order (repeats kept)."""
        return [r.headers["Loopgate-Event-Id"] for r in self.answered]


def verifies(got: Received, secret: str) -> bool:
    return verify(got.headers[HEADER], secret, got.body, int(time.time()))


async def eventually(check: Any, timeout_s: float = 20.0, every_s: float = 0.05) -> None:
    """Wait until ``await check()`` (or ``check()``) is true."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every_s)
