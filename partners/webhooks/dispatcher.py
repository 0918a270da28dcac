"""The webhook dispatcher: fans new events out into deliveries and sends the due ones.

Any number of dispatchers (``loopgate worker`` processes, ``loopgate serve`` processes) share
one database. Each round a dispatcher

1. fans out new events (:mod:`.fanout`) if it holds the fan-out lease (one at a time);
2. reads the due buckets from the cursor to the current slot (:mod:`.due`, point reads) and
   works each bucket with unhandled entries whose lease it can take: every entry's delivery is
   read by ``_id``; a stale entry is skipped, a live one (due by its slot's start) is sent and
   the chunk's outcomes are written together (:mod:`.deliveries`); progress is recorded after
   each chunk. A dispatcher that dies (or is cancelled) mid-chunk leaves the
   lease to run out; the next holder redoes that chunk, so nothing is lost and a receiver sees
   at most that chunk's in-flight deliveries twice — it de-duplicates by event id;
3. moves the cursor past settled, handled slots.

:meth:`Dispatcher.stop` is the clean stop (``loopgate worker`` on SIGTERM or SIGINT): no new
bucket or chunk is claimed, the chunk in flight is sent and recorded, and the leases are
released so another dispatcher carries on at once. Idle, a dispatcher waits up to
``idle_max_s`` between rounds, and a round costs a few ``_id`` point reads (:class:`.due.Seen`).

Delivery is at least once and per-endpoint ordering is not promised (retries, replays and
several dispatchers send out of order); receivers de-duplicate by the event id
(``Loopgate-Event-Id``) and order one resource's events by ``Loopgate-Resource-Sequence``.

Requests go through :func:`partners.urls.guarded_session` (each URL checked again, every
resolved address checked at connect time, no redirects) and are signed with every secret the
endpoint has now (:mod:`.signing`). An endpoint whose attempts keep failing for
``disable_after`` is disabled (:func:`.endpoints.note_failure`); its waiting deliveries then go
DEAD without an attempt, to be replayed once it is enabled again.
"""

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from ulid import ULID

from partners.urls import NetworkPolicy, UnsafeUrl, guarded_session
from partners.webhooks import due
from partners.webhooks.deliveries import INDEXES as DELIVERY_INDEXES
from partners.webhooks.deliveries import (
    WAITING,
    Outcome,
    RetryPolicy,
    get_delivery,
    give_up,
    record_attempts,
    sweep_deliveries,
)
from partners.webhooks.endpoints import (
    ACTIVE,
    DISABLE_AFTER,
    get_endpoint,
    note_failure,
    note_success,
    signing_secrets,
)
from partners.webhooks.fanout import fan_out
from partners.webhooks.signing import HEADER, signature_header
from schema.kernel.claims import Contended
from schema.kernel.events import retention
from schema.kernel.indexes import ensure_indexes
from schema.kernel.leases import HOLDER, LEASE_TTL, Lease
from schema.kernel.time import as_utc, to_iso, utcnow

FANOUT_LEASE = "webhooks-fanout"
USER_AGENT = "Loopgate-Webhooks/1"
SWEEP_EVERY_S = 3600.0
MAX_CLOCK_SKEW_S = 5.0

_log = logging.getLogger("loopgate.webhooks")

Document = dict[str, Any]


@dataclass(frozen=True)
class DispatcherSettings:
    """How a dispatcher works; tests shorten the times and inject the clock that decides
    retry windows and endpoint health (``clock``)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    network: NetworkPolicy | None = None
    """Which addresses may be called (default: ``LOOPGATE_ALLOW_NETWORKS``)."""
    concurrency: int = 32
    chunk: int = 64
    timeout_s: float = 10.0
    idle_s: float = 0.25
    """The first wait after a round with nothing to do; each idle round doubles it up to
    ``idle_max_s`` (a busy round starts again at ``idle_s``)."""
    idle_max_s: float = 1.0
    lease_ttl: timedelta = LEASE_TTL
    disable_after: timedelta = DISABLE_AFTER
    clock: Callable[[], datetime] = utcnow
    holder: str = field(default_factory=lambda: f"{HOLDER}:{ULID()}")


def event_body(event: Document) -> bytes:
    """The request body: the event in its public shape (``id``, ISO times)."""
    public = {"id": event["_id"], "topic": event["topic"], "partnerId": event["partnerId"],
              "resource": event["resource"], "sequence": event["sequence"],
              "occurredAt": to_iso(event["occurredAt"]), "data": event["data"]}
    return json.dumps(public, default=_json_value, separators=(",", ":")).encode()


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(value)
    return str(value)


class Dispatcher:
    """One dispatcher over one database (see the module's docstring)."""

    def __init__(self, db: AsyncDatabase, settings: DispatcherSettings | None = None) -> None:
        self.db = db
        self.settings = settings or DispatcherSettings()
        self.network = self.settings.network or NetworkPolicy.from_env()
        self._held: dict[str, float] = {}
        self._gate = asyncio.Semaphore(self.settings.concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._next_sweep = time.monotonic()
        self._first_shard = random.randrange(due.SHARDS)
        self._seen = due.Seen()
        self._stopping = asyncio.Event()
        self.counts: Counter[str] = Counter()
        """Attempts so far: ``delivered`` (2xx), ``failed`` (retried later, or DEAD); and
        ``round_errors``: rounds that failed (and were tried again)."""

    def stop(self) -> None:
        """Stop claiming work: the chunk in flight is finished and recorded, then
        :meth:`run_forever` releases the leases and returns."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def run_forever(self) -> None:
        """Rounds until :meth:`stop` (then it returns once the chunk in flight is recorded) or
        cancelled. Nothing but those ends it: in ``loopgate serve`` nobody would restart it.
        A failing round (the database away, an unexpected error) is logged and tried again
        after an idle wait; the webhook indexes are created (idempotently) before the first
        round that gets through. Idle rounds back off from ``idle_s`` to ``idle_max_s``.
        Either way the leases are released on the way out."""
        idle = self.settings.idle_s
        indexed = False
        async with guarded_session(self.network) as session:
            self._session = session
            try:
                while not self.stopping:
                    try:
                        if not indexed:
                            await ensure_indexes(self.db, DELIVERY_INDEXES)
                            indexed = True
                        busy = await self.round()
                    except Exception as exc:
                        expected = isinstance(exc, PyMongoError | Contended)
                        _log.exception("webhook dispatcher round failed%s; retrying",
                                       "" if expected else " unexpectedly")
                        self.counts["round_errors"] += 1
                        busy = 0
                    if busy:
                        idle = self.settings.idle_s
                        continue
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(idle):
                            await self._stopping.wait()
                    idle = min(idle * 2, max(self.settings.idle_max_s, self.settings.idle_s))
            finally:
                await self._release_even_if_cancelled()

    async def _release_even_if_cancelled(self) -> None:
        """Release the leases; a cancellation waits for that (bounded by
        :meth:`release_leases`'s own timeout) before it goes on."""
        releasing = asyncio.ensure_future(self.release_leases())
        try:
            await asyncio.shield(releasing)
        except asyncio.CancelledError:
            await releasing
            raise

    async def release_leases(self) -> None:
        """Give up this dispatcher's leases (a clean stop), so another takes over at once;
        a process that dies without it is replaced once they run out."""
        held, self._held = list(self._held), {}
        with contextlib.suppress(PyMongoError, Contended, TimeoutError):
            async with asyncio.timeout(2.0):
                for name in held:
                    await Lease(self.db, name, self.settings.holder,
                                self.settings.lease_ttl).release()

    async def round(self) -> int:
        """Fan out, then work the due buckets; returns how much was done (0: idle)."""
        done = 0
        if not self.stopping and await self._hold(FANOUT_LEASE):
            done += await fan_out(self.db)
            if time.monotonic() >= self._next_sweep:
                self._next_sweep = time.monotonic() + SWEEP_EVERY_S
                await sweep_deliveries(self.db, retention())
        return done + await self.work_due()

    async def _hold(self, name: str) -> bool:
        """Take or renew the lease ``name`` when less than half its term is left."""
        ttl = self.settings.lease_ttl.total_seconds()
        if self._held.get(name, 0.0) - time.monotonic() > ttl / 2:
            return True
        started = time.monotonic()
        if await Lease(self.db, name, self.settings.holder, self.settings.lease_ttl).acquire():
            self._held[name] = started + ttl
            return True
        self._held.pop(name, None)
        return False

    async def work_due(self) -> int:
        """Work every bucket from the cursor to now that has unhandled entries and whose
        lease this dispatcher can take (shards in an order of its own, so workers spread
        out); then move the cursor past settled slots."""
        start = await due.cursor(self.db)
        now = due.slot_of(utcnow())
        count = min((now - start) // due.SLOT + 1, due.MAX_SLOTS_PER_ROUND)
        slots = [start + due.SLOT * i for i in range(max(count, 0))]
        self._seen.forget_before(start)
        by_slot: dict[datetime, list[due.Bucket]] = {}
        for bucket in await due.buckets(self.db, slots, self._seen):
            by_slot.setdefault(bucket.slot, []).append(bucket)
        handled, settled = 0, []
        settling = True
        for slot in slots:
            shards = by_slot[slot]
            for bucket in shards[self._first_shard:] + shards[:self._first_shard]:
                if not bucket.finished and not self.stopping \
                        and await self._hold(due.lease_name(bucket.slot, bucket.shard)):
                    handled += await self._work_bucket(bucket)
            if settling and all(b.finished for b in shards) and slot < now - due.SETTLE:
                settled.append(slot)
            else:
                settling = False
        if settled:
            await due.advance_cursor(self.db, settled[-1] + due.SLOT)
            for slot in settled:
                await due.forget(self.db, slot)
        return handled

    async def _work_bucket(self, bucket: due.Bucket) -> int:
        name = due.lease_name(bucket.slot, bucket.shard)
        entries, done = bucket.entries, bucket.done
        for start in range(done, len(entries), self.settings.chunk):
            part = entries[start:start + self.settings.chunk]
            endpoints: dict[str, asyncio.Task[Document | None]] = {}
            sent = await asyncio.gather(*(self._handle(entry, endpoints) for entry in part))
            await self._record([attempt for attempt in sent if attempt is not None])
            await due.record_progress(self.db, bucket.slot, bucket.shard, start + len(part))
            self._seen.handled(bucket.slot, bucket.shard, start + len(part))
            if self.stopping or not await self._hold(name):
                return start + len(part) - done
        return len(entries) - done

    async def _handle(self, entry: str, endpoints: dict[str, "asyncio.Task[Document | None]"]
                      ) -> tuple[Document, Document, Outcome] | None:
        """Send one listed delivery if it is still waiting; returns it, its endpoint and the
        outcome. ``endpoints``: the chunk's endpoint reads, one per endpoint."""
        delivery_id, generation, listed_at = due.parse_entry(entry)
        delivery = await get_delivery(self.db, delivery_id)
        while delivery is not None and delivery["generation"] < generation \
                and utcnow() - listed_at < due.WRITE_DEADLINE:
            await asyncio.sleep(0.02)   # listed, not written yet: its writer is at work
            delivery = await get_delivery(self.db, delivery_id)
        if delivery is None or delivery["generation"] != generation \
                or delivery["status"] not in WAITING:
            return None
        wait = (as_utc(delivery["nextAttemptAt"]) - utcnow()).total_seconds()
        if wait > 0:   # listed by a process whose clock runs ahead: a short wait at most
            await asyncio.sleep(min(wait, MAX_CLOCK_SKEW_S))
        endpoint_id = delivery["endpointId"]
        if endpoint_id not in endpoints:
            endpoints[endpoint_id] = asyncio.create_task(get_endpoint(self.db, endpoint_id))
        endpoint = await endpoints[endpoint_id]
        if endpoint is None or endpoint["status"] != ACTIVE:
            await give_up(self.db, delivery, "the endpoint is disabled or gone")
            return None
        async with self._gate:
            return delivery, endpoint, await self.send(endpoint, delivery)

    async def _record(self, attempts: list[tuple[Document, Document, Outcome]]) -> None:
        """Write a chunk's outcomes, then each endpoint's health once: answered at least
        once, or failed every time."""
        if not attempts:
            return
        now = self.settings.clock()
        unique = {delivery["_id"]: (delivery, outcome) for delivery, _, outcome in attempts}
        self.counts.update("delivered" if outcome.ok else "failed"
                           for _, outcome in unique.values())
        await record_attempts(self.db, list(unique.values()), now, self.settings.retry)
        answered: dict[str, tuple[Document, bool]] = {}
        for _, endpoint, outcome in attempts:
            ok = answered.get(endpoint["_id"], (endpoint, False))[1] or outcome.ok
            answered[endpoint["_id"]] = (endpoint, ok)
        for endpoint, ok in answered.values():
            if ok:
                if endpoint.get("failingSince") is not None:
                    await note_success(self.db, endpoint["_id"])
            elif await note_failure(self.db, endpoint["_id"], now, self.settings.disable_after):
                _log.warning("webhook endpoint %s disabled after failing for %s",
                             endpoint["_id"], self.settings.disable_after)

    async def send(self, endpoint: Document, delivery: Document) -> Outcome:
        """One signed POST; never raises for the receiver's or the network's failures."""
        if self._session is None:
            raise RuntimeError("the dispatcher's session is not open (use run_forever)")
        event = delivery["event"]
        body = event_body(event)
        now = self.settings.clock()
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "Loopgate-Event-Id": event["_id"], "Loopgate-Event-Topic": event["topic"],
            "Loopgate-Event-Time": to_iso(event["occurredAt"]),
            "Loopgate-Resource-Type": event["resource"]["type"],
            "Loopgate-Resource-Id": event["resource"]["id"],
            "Loopgate-Resource-Sequence": str(event["sequence"]),
            "Loopgate-Delivery-Id": delivery["_id"],
            "Loopgate-Delivery-Attempt": str(delivery["attempts"] + 1),
            HEADER: signature_header(signing_secrets(endpoint, now), int(now.timestamp()),
                                     body)}
        started = time.perf_counter()
        try:
            self.network.check_url(endpoint["url"])
            async with self._session.post(
                    endpoint["url"], data=body, headers=headers, allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(total=self.settings.timeout_s)) as response:
                with contextlib.suppress(aiohttp.ClientError):
                    await response.content.read(65536)
                code: int | None = response.status
                error = None if 200 <= response.status < 300 else f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, UnsafeUrl, OSError) as exc:
            code, error = None, f"{type(exc).__name__}: {exc}"[:300]
        return Outcome(code, round((time.perf_counter() - started) * 1000), error)

    def use_session(self, session: aiohttp.ClientSession) -> None:
        """Send through ``session`` (tests that drive rounds by hand)."""
        self._session = session


async def stop_within(dispatchers: Sequence[Dispatcher],
                      tasks: Sequence["asyncio.Task[None]"], drain_s: float) -> int:
    """Stop the dispatchers cleanly (:meth:`Dispatcher.stop`) and wait for their tasks up to
    ``drain_s`` seconds, then cancel the ones still running (their chunk in flight is sent
    again by another dispatcher: receivers de-duplicate); either way their leases are
    released. Returns how many had to be cancelled."""
    for dispatcher in dispatchers:
        dispatcher.stop()
    if not tasks:
        return 0
    _, unfinished = await asyncio.wait(tasks, timeout=drain_s)
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*unfinished, return_exceptions=True)
    return len(unfinished)


async def run_dispatcher_forever(db: AsyncDatabase,
                                 settings: DispatcherSettings | None = None) -> None:
    """Deliver ``db``'s webhooks until cancelled (one per database: live and sandbox)."""
    await Dispatcher(db, settings).run_forever()
