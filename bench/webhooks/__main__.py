"""Webhook delivery benchmark: ``python -m bench.webhooks [--uri URI]``.

Three short phases against a local aiohttp receiver on 127.0.0.1 (a free port of
``--ports``, default 4800-4899), one dispatcher with its default settings, on the embedded
FerretDB unless ``--uri`` is given:

1. **throughput**: ``--events`` events already relayed (written into documents' outboxes and
   moved by the relay, as domains and the background jobs do); the clock runs from the
   dispatcher's start until the receiver has answered them all: fan-out, due buckets, signed
   POSTs and delivery records included;
2. **delay**: events written one by one at ``--rate`` per second for ``--seconds`` while the
   relay runs every ``--relay-every`` seconds (the background jobs' default is 2 s); for each,
   the time from the state change (the event's ``occurredAt``) to its arrival at the receiver,
   p50 and p99;
3. **idle cost**: for ``--idle-seconds`` with nothing to deliver, the database commands the
   dispatcher sends per second (counted by a PyMongo command listener on its own client):
   what every ``loopgate serve`` process pays per database while nothing happens.
"""

import argparse
import asyncio
import contextlib
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from bench.database import bench_database_uri, server_name
from partners.urls import NetworkPolicy
from partners.webhooks.deliveries import DELIVERIES, SUCCEEDED
from partners.webhooks.dispatcher import DispatcherSettings, run_dispatcher_forever
from partners.webhooks.endpoints import create_endpoint
from schema.kernel.claims import update_claimed
from schema.kernel.events import (
    append_event,
    batch_marker,
    mark_pending,
    pending_marker,
    relay_outboxes,
)
from schema.kernel.ids import new_id
from schema.kernel.time import utcnow

PARTNER = "ptn_01JBENCHPARTNER00000000000"
THINGS = "bench_things"
LOCAL = NetworkPolicy.allowing("127.0.0.0/8")


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.occurred: dict[str, float] = {}
        self.runner: web.AppRunner | None = None
        self.expected = 0
        self.all_in = asyncio.Event()

    def expect(self, count: int) -> None:
        self.expected = count
        self.all_in.clear()
        if len(self.arrivals) >= count:
            self.all_in.set()

    async def wait(self, timeout_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self.all_in.wait()

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.arrivals.setdefault(body["id"], time.time())
        self.occurred[body["id"]] = datetime.fromisoformat(
            body["occurredAt"].replace("Z", "+00:00")).astimezone(UTC).timestamp()
        if self.expected and len(self.arrivals) >= self.expected:
            self.all_in.set()
        return web.Response(status=204)

    async def start(self, ports: range) -> str:
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        for port in ports:
            with contextlib.suppress(OSError):
                await web.TCPSite(self.runner, "127.0.0.1", port).start()
                return f"http://127.0.0.1:{port}/hook"
        raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


class Commands(monitoring.CommandListener):
    """Counts the commands sent while ``counting``."""

    def __init__(self) -> None:
        self.count = 0
        self.counting = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.counting:
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def _relay_everything(db: AsyncDatabase) -> None:
    while await relay_outboxes(db) > 0:
        pass


async def _preload(db: AsyncDatabase, count: int) -> None:
    """``count`` documents, each changed once with one event, relayed."""
    now = utcnow()
    ids = [new_id("ord") for _ in range(count)]
    documents: list[dict[str, Any]] = []
    for document_id in ids:
        fields = append_event(None, "order.created", PARTNER, "Order", document_id,
                              {"total": 100}, now)
        documents.append({"_id": document_id, **fields})
    await mark_pending(db, [batch_marker(THINGS, ids)])
    await db[THINGS].insert_many(documents)
    await mark_pending(db, [batch_marker(THINGS, ids)])
    await _relay_everything(db)


async def _emit(db: AsyncDatabase) -> None:
    document_id = new_id("ord")
    marker = [pending_marker(THINGS, document_id)]
    await mark_pending(db, marker)
    await update_claimed(db[THINGS], db, document_id, lambda current: {
        **(current or {}), **append_event(current, "order.created", PARTNER, "Order",
                                          document_id, {"total": 1}, utcnow())})
    await mark_pending(db, marker)


async def _throughput(db: AsyncDatabase, receiver: Receiver, count: int) -> float:
    await _preload(db, count)
    receiver.expect(count)
    started = time.perf_counter()
    task = asyncio.create_task(run_dispatcher_forever(db, DispatcherSettings(network=LOCAL)))
    try:
        await receiver.wait(60)
        if len(receiver.arrivals) < count:
            raise RuntimeError(f"only {len(receiver.arrivals)} of {count} delivered")
        per_second = count / (time.perf_counter() - started)
        for _ in range(600):   # recorded too, so the next phase sends none again
            if await db[DELIVERIES].count_documents({"status": SUCCEEDED}) >= count:
                break
            await asyncio.sleep(0.1)
        return per_second
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _delays(db: AsyncDatabase, receiver: Receiver, rate: float, seconds: float,
                  relay_every: float) -> list[float]:
    receiver.arrivals.clear()
    receiver.occurred.clear()
    since = time.time()

    async def relay() -> None:
        while True:
            await _relay_everything(db)
            await asyncio.sleep(relay_every)

    dispatcher = asyncio.create_task(
        run_dispatcher_forever(db, DispatcherSettings(network=LOCAL)))
    relaying = asyncio.create_task(relay())
    sent = 0
    try:
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            await _emit(db)
            sent += 1
            await asyncio.sleep(max(0.0, started + sent / rate - time.perf_counter()))
        receiver.expect(len(receiver.arrivals) + sent)
        await receiver.wait(20)
    finally:
        for task in (dispatcher, relaying):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    ours = [i for i in receiver.arrivals if receiver.occurred[i] >= since]
    if len(ours) < sent:
        raise RuntimeError(f"only {len(ours)} of {sent} delivered")
    return sorted(receiver.arrivals[i] - receiver.occurred[i] for i in ours)


async def _idle_commands(uri: str, name: str, seconds: float) -> float:
    """Commands per second of one idle dispatcher on its own client (after a settling
    second)."""
    commands = Commands()
    client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True, event_listeners=[commands])
    task = asyncio.create_task(
        run_dispatcher_forever(client[name], DispatcherSettings(network=LOCAL)))
    try:
        await asyncio.sleep(2.0)
        commands.counting = True
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        commands.counting = False
        return commands.count / (time.perf_counter() - started)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.close()


def _percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def main(args: argparse.Namespace) -> None:
    with bench_database_uri(args.uri) as uri:
        client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
        name = f"bench_webhooks_{int(time.time())}"
        db = client[name]
        receiver = Receiver()
        try:
            low, _, high = args.ports.partition("-")
            url = await receiver.start(range(int(low), int(high or low) + 1))
            await create_endpoint(db, PARTNER, url, ["order.created"], LOCAL)
            server = await server_name(client)
            per_second = await _throughput(db, receiver, args.events)
            print(f"{server}: one worker delivered {args.events} events at "
                  f"{per_second:.0f} events/s (fan-out, signing, POST and records included)")
            delays = await _delays(db, receiver, args.rate, args.seconds, args.relay_every)
            print(f"state change to delivery, {len(delays)} events at {args.rate:g}/s, relay "
                  f"every {args.relay_every:g} s: p50 {statistics.median(delays) * 1000:.0f} "
                  f"ms, p99 {_percentile(delays, 99) * 1000:.0f} ms")
            if args.idle_seconds > 0:
                per_second = await _idle_commands(uri, name, args.idle_seconds)
                print(f"idle dispatcher: {per_second:.1f} database commands a second (one "
                      f"database; a serve process runs one per database: live and sandbox)")
        finally:
            if receiver.runner is not None:
                await receiver.runner.cleanup()
            await client.drop_database(name)
            await client.close()


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--relay-every", type=float, default=2.0)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--ports", default="4800-4899",
                        help="where the receiver may listen (first free one)")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
