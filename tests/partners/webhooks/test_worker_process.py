"""``loopgate worker`` as a real process: it delivers, and when it is killed (SIGKILL, mid
delivery) another worker process delivers everything it had in flight once its leases run
out."""

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.urls import ALLOW_NETWORKS_ENV
from partners.webhooks.deliveries import DELIVERIES, SUCCEEDED
from partners.webhooks.endpoints import create_endpoint
from schema.kernel.sandbox import sandbox_name
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


def _worker(ferretdb: str, db: AsyncDatabase) -> subprocess.Popen[bytes]:
    env = {**os.environ, ALLOW_NETWORKS_ENV: "127.0.0.0/8"}
    return subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker", "--mongodb-uri",
                             ferretdb, "--db", db.name], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
