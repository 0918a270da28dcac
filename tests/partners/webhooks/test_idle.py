"""An idle dispatcher is cheap (every ``loopgate serve`` process runs one per database): it
backs off to a round a second, and a round is a few ``_id`` point reads — no scans."""

import asyncio
import contextlib
from datetime import timedelta

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from partners.webhooks import due
from partners.webhooks.dispatcher import DispatcherSettings, run_dispatcher_forever
from partners.webhooks.endpoints import create_endpoint
from tests.partners.webhooks.helpers import LOCAL, Receiver, emit, eventually, relay_all

PARTNER = "ptn_01JTESTPARTNER000000000000"


class Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.seen: list[monitoring.CommandStartedEvent] = []
        self.counting = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.counting:
            self.seen.append(event)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_an_idle_dispatcher_makes_a_few_point_reads_a_second(
        ferretdb: str, db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(due, "SLOT", timedelta(minutes=1))     # the real time scale
    monkeypatch.setattr(due, "SETTLE", timedelta(minutes=2))
    receiver = await Receiver().start()
    commands = Commands()
    client: AsyncMongoClient = AsyncMongoClient(ferretdb, tz_aware=True,
                                                event_listeners=[commands])
    task = asyncio.create_task(run_dispatcher_forever(client[db.name],
                                                      DispatcherSettings(network=LOCAL)))
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(3):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        await eventually(lambda: len(receiver.answered) == 3)
        await asyncio.sleep(2.5)   # backed off
        commands.counting = True
        await asyncio.sleep(5.0)
        commands.counting = False
        per_second = len(commands.seen) / 5.0
        assert per_second < 15, f"{per_second:.1f} commands a second while idle"
        reads = [c for c in commands.seen if c.command_name == "find"]
        assert all(set(c.command["filter"]) == {"_id"}
                   and isinstance(c.command["filter"]["_id"], str) for c in reads)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.close()
        await receiver.stop()
