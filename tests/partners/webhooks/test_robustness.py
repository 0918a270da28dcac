"""A dispatcher does not die of a failing round (``loopgate serve`` would not restart it): the
database away at its start, an unexpected error in a round — it logs, waits and goes on."""

import asyncio
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import AutoReconnect

from partners.webhooks import dispatcher as dispatcher_module
from partners.webhooks.dispatcher import Dispatcher, stop_within
from partners.webhooks.endpoints import create_endpoint
from tests.partners.webhooks.helpers import (
    LOCAL,
    Receiver,
    emit,
    eventually,
    fast_settings,
    relay_all,
)

PARTNER = "ptn_01JTESTPARTNER000000000000"


async def test_failing_rounds_are_logged_and_tried_again(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    failures = {"indexes": 1, "fan_out": 2}
    real_indexes, real_fan_out = dispatcher_module.ensure_indexes, dispatcher_module.fan_out

    # Only this test's database fails: other dispatchers of the session (a module's serve
    # app) share the patched module.
    async def indexes(*args: Any) -> None:
        if failures["indexes"] and args[0].name == db.name:
            failures["indexes"] -= 1
            raise AutoReconnect("the database is away")
        await real_indexes(*args)

    async def fan_out(*args: Any) -> int:
        if failures["fan_out"] and args[0].name == db.name:
            failures["fan_out"] -= 1
            raise ValueError("a bug in a round")
        return await real_fan_out(*args)

    monkeypatch.setattr(dispatcher_module, "ensure_indexes", indexes)
    monkeypatch.setattr(dispatcher_module, "fan_out", fan_out)
    receiver = await Receiver().start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        await emit(db, PARTNER, "thing-1")
        await relay_all(db)
        dispatcher = Dispatcher(db, fast_settings())
        task = asyncio.create_task(dispatcher.run_forever())
        await eventually(lambda: len(receiver.answered) == 1)
        assert failures == {"indexes": 0, "fan_out": 0}
        assert dispatcher.counts["round_errors"] == 3
        assert not task.done()
        assert "failed unexpectedly" in caplog.text
        assert await stop_within([dispatcher], [task], drain_s=5) == 0
    finally:
        await receiver.stop()
