"""``loopgate worker`` as a real process: it delivers; when it is killed (SIGKILL, mid
delivery) another worker process delivers everything it had in flight once its leases run
out; on SIGTERM or SIGINT it finishes what is in flight, releases its leases and exits 0."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.urls import ALLOW_NETWORKS_ENV
from partners.webhooks.deliveries import DELIVERIES, SUCCEEDED
from partners.webhooks.endpoints import create_endpoint
from schema.kernel.leases import LEASES
from schema.kernel.sandbox import sandbox_name
from schema.kernel.time import as_utc, utcnow
from tests.partners.webhooks.helpers import LOCAL, Receiver, emit, eventually, relay_all

PARTNER = "ptn_01JTESTPARTNER000000000000"


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _worker(ferretdb: str, db: AsyncDatabase, *flags: str,
            stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    env = {**os.environ, ALLOW_NETWORKS_ENV: "127.0.0.0/8"}
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--mongodb-uri",
                             ferretdb, "--db", db.name, *flags], env=env,
                            stdout=subprocess.DEVNULL, stderr=stderr)


async def _succeeded(db: AsyncDatabase) -> int:
    found = await db[DELIVERIES].find({}, {"status": 1}).to_list()
    return Counter(d["status"] for d in found)[SUCCEEDED]


async def test_a_killed_worker_process_loses_nothing(
        ferretdb: str, db: AsyncDatabase, workers: list[subprocess.Popen[bytes]]) -> None:
    receiver = await Receiver(delay_s=1.5).start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(8):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        workers.append(_worker(ferretdb, db))
        await eventually(lambda: len(receiver.received) >= 3, timeout_s=60)
        workers[0].send_signal(signal.SIGKILL)
        await asyncio.to_thread(workers[0].wait, 10)
        assert await _succeeded(db) < 8
        receiver.delay_s = 0.0
        workers.append(_worker(ferretdb, db))
        await eventually(lambda: _all_eight(db), timeout_s=90)
        assert len(set(receiver.event_ids())) == 8
    finally:
        await receiver.stop()
        await db.client.drop_database(sandbox_name(db.name))


async def _all_eight(db: AsyncDatabase) -> bool:
    return await _succeeded(db) == 8


async def _held_leases(db: AsyncDatabase) -> list[str]:
    """Webhook leases someone holds now (bucket and fan-out leases)."""
    now = utcnow()
    return [lease["_id"] for lease in await db[LEASES].find({}).to_list()
            if lease["_id"].startswith(("whbucket:", "webhooks-fanout"))
            and lease.get("holder") and as_utc(lease["expiresAt"]) > now]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_stopped_worker_finishes_what_is_in_flight_releases_its_leases_and_exits_0(
        ferretdb: str, db: AsyncDatabase, workers: list[subprocess.Popen[bytes]],
        signum: signal.Signals) -> None:
    receiver = await Receiver(delay_s=2.0).start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(12):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        workers.append(_worker(ferretdb, db, "--status-every", "1", "--drain", "10",
                               stderr=subprocess.PIPE))
        await eventually(lambda: len(receiver.received) >= 1, timeout_s=60)
        assert await _held_leases(db)
        workers[0].send_signal(signum)
        stopped_at = time.monotonic()
        _, stderr = await asyncio.to_thread(workers[0].communicate, timeout=20)
        took = time.monotonic() - stopped_at
        output = stderr.decode()
        assert workers[0].returncode == 0, output
        assert took < 10, f"took {took:.1f} s to stop"
        assert f"{signum.name}: stopping" in output and "stopped:" in output
        assert len(receiver.answered) == len(receiver.received) >= 1, "a request was cut off"
        assert await _succeeded(db) == len(set(receiver.event_ids()))
        assert await _held_leases(db) == []
        assert await _held_leases(db.client[sandbox_name(db.name)]) == []
        if len(set(receiver.event_ids())) < 12:   # the rest: another worker, without waiting
            receiver.delay_s = 0.0                 # for leases to run out
            workers.append(_worker(ferretdb, db))
            await eventually(lambda: _all_twelve(db), timeout_s=60)
        assert len(set(receiver.event_ids())) == 12
    finally:
        await receiver.stop()
        await db.client.drop_database(sandbox_name(db.name))


async def test_the_worker_reports_its_progress_on_stderr(
        ferretdb: str, db: AsyncDatabase, workers: list[subprocess.Popen[bytes]]) -> None:
    receiver = await Receiver().start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(3):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        workers.append(_worker(ferretdb, db, "--status-every", "1", stderr=subprocess.PIPE))
        await eventually(lambda: _all(db, 3), timeout_s=60)
        await asyncio.sleep(1.5)
        workers[0].send_signal(signal.SIGTERM)
        _, stderr = await asyncio.to_thread(workers[0].communicate, timeout=20)
        output = stderr.decode()
        assert workers[0].returncode == 0, output
        assert "3 delivered since start" in output
        assert "/min)" in output
        assert "stopped: 3 delivered, 0 failed since start" in output
    finally:
        await receiver.stop()
        await db.client.drop_database(sandbox_name(db.name))


async def _all(db: AsyncDatabase, count: int) -> bool:
    return await _succeeded(db) == count


async def _all_twelve(db: AsyncDatabase) -> bool:
    return await _succeeded(db) == 12


@pytest.mark.parametrize("flags", [["--concurrency", "0"], ["--drain", "-1"],
                                   ["--status-every", "-5"]])
def test_bad_worker_flags_are_refused_before_anything_starts(flags: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "worker", *flags,
                           "--mongodb-uri", "mongodb://127.0.0.1:1/"], capture_output=True,
                          timeout=60)
    assert done.returncode == 2
    assert f"{flags[0]} must be at least" in done.stderr.decode()
