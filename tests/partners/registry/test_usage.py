"""Usage per app: counted in memory per process, flushed under revision claims to one document
per app and UTC day; exact totals from several processes at once, nothing lost on a stop."""

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners import usage as usage_module
from partners.registry import create_partner
from partners.usage import USAGE, UsageRecorder, run_usage_flusher, usage_days, usage_id
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal
from tests.partners.helpers import data, run

ROUNDS = 30
PER_ROUND = 40

CHILD = """
import asyncio, sys, time
from partners.usage import UsageRecorder
from schema.kernel.mongo import Mongo

async def main(uri, name, apps, rounds, per_round):
    mongo = Mongo.open(uri, name)
    recorder = UsageRecorder()
    await mongo.ping()
    print("ready", flush=True)
    started = time.time()
    for _ in range(rounds):
        for app in apps.split(","):
            for i in range(per_round):
                recorder.record(app, error=i % 4 == 0)
        await recorder.flush(mongo.db)
    print(started, time.time(), flush=True)
    await mongo.close()

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
"""


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


async def _recorded_rounds(recorder: UsageRecorder, db: AsyncDatabase, apps: list[str]) -> None:
    for _ in range(ROUNDS):
        for app in apps:
            for i in range(PER_ROUND):
                recorder.record(app, error=i % 4 == 0)
        await recorder.flush(db)
        await asyncio.sleep(0)


async def test_processes_flushing_at_once_count_exactly(db: AsyncDatabase, ferretdb: str) -> None:
    """Another process and two recorders of this one flush into the same two documents."""
    apps = [new_id("app"), new_id("app")]
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, ferretdb, db.name, ",".join(apps), str(ROUNDS),
        str(PER_ROUND), env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert await asyncio.wait_for(child.stdout.readline(), 60) == b"ready\n"
    first, second = UsageRecorder(), UsageRecorder()
    started = time.time()
    await asyncio.gather(_recorded_rounds(first, db, apps), _recorded_rounds(second, db, apps))
    ended = time.time()
    stdout, stderr = await child.communicate()
    assert child.returncode == 0, stderr.decode()
    child_started, child_ended = map(float, stdout.split())
    assert child_started < ended and started < child_ended, "the processes did not overlap"
    requests = 3 * ROUNDS * PER_ROUND   # three recorders, two of them in this process
    for app in apps:
        doc = await db[USAGE].find_one({"_id": usage_id(app, _today())})
        assert (doc["requests"], doc["errors"]) == (requests, requests // 4)
        assert (doc["clientId"], doc["date"]) == (app, _today())
    assert first.unflushed == second.unflushed == 0


async def test_a_stopping_flusher_flushes_once_more(db: AsyncDatabase) -> None:
    recorder, app = UsageRecorder(), new_id("app")
    task = asyncio.create_task(run_usage_flusher(recorder, db, interval_s=3600))
    await asyncio.sleep(0)
    for i in range(7):
        recorder.record(app, error=i == 0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorder.unflushed == 0
    assert [(r, e) for _d, r, e in await usage_days(db, app, 1)] == [(7, 1)]


async def test_a_flush_that_lost_its_reply_is_repeated_and_applied_once(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    """The write lands but the flusher hears an error: it keeps the counts under the same op id
    and the next flush does not add them twice."""
    recorder, app = UsageRecorder(), new_id("app")
    real = usage_module.update_claimed

    async def lands_then_fails(*args: object, **kwargs: object) -> None:
        await real(*args, **kwargs)
        raise ConnectionError("reply lost")

    recorder.record(app, error=False)
    recorder.record(app, error=True)
    monkeypatch.setattr(usage_module, "update_claimed", lands_then_fails)
    with pytest.raises(ConnectionError):
        await recorder.flush(db)
    assert recorder.unflushed == 2
    monkeypatch.setattr(usage_module, "update_claimed", real)
    recorder.record(app, error=False)
    assert await recorder.flush(db) == 2      # the repeat, applied once by its op id
    assert await recorder.flush(db) == 1      # then what came meanwhile
    assert [(r, e) for _d, r, e in await usage_days(db, app, 1)] == [(3, 1)]


async def test_usage_through_graphql(db: AsyncDatabase) -> None:
    partner = await create_partner(db, name="Counted", partner_type="MERCHANT")
    manager = Principal("app-manager", frozenset({"apps:manage"}), partner_id=partner["_id"])
    app = (await data(db, """mutation { createApp(input: {name: "Busy",
      scopes: ["stores:read"]}) { app { id } } }""", manager))["createApp"]["app"]["id"]
    recorder = UsageRecorder()
    for i in range(5):
        recorder.record(app, error=i < 2)
    recorder.record(new_id("app"), error=False)   # another app's request
    await recorder.flush(db)
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    await db[USAGE].insert_one({"_id": usage_id(app, yesterday), "clientId": app,
                                "date": yesterday, "requests": 4, "errors": 0, "ops": []})
    out = await data(db, "{ apps { id usage(days: 3) { date requests errors } } }", manager)
    today = dt.datetime.now(dt.UTC).date()
    assert out["apps"] == [{"id": app, "usage": [
        {"date": (today - dt.timedelta(days=2)).isoformat(), "requests": 0, "errors": 0},
        {"date": yesterday, "requests": 4, "errors": 0},
        {"date": today.isoformat(), "requests": 5, "errors": 2}]}]
    default = await data(db, "{ apps { usage { date } } }", manager)
    assert len(default["apps"][0]["usage"]) == 7
    for days in (0, 91, -1):
        refused = await run(db, f"{{ apps {{ usage(days: {days}) {{ date }} }} }}", manager)
        assert refused.errors[0].extensions["code"] == "BAD_USER_INPUT"
