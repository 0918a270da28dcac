"""PyMongo's pool wait and a cancellation that meets its timeout (schema.kernel.pool_wait).

The race is one of timing, so it is driven on a real pool against FerretDB, many times over.
"""

import asyncio
import contextlib
import random
import sys

import pymongo
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous import pool
from pymongo.errors import PyMongoError
from pymongo.lock import Condition, Lock

import schema.kernel.mongo  # noqa: F401  (importing it installs the workaround)
from schema.kernel.ids import new_id
from schema.kernel.pool_wait import wait_in_task

ROUNDS = 5
"""Without the workaround, the pool locked by the second or third round in every run seen."""


async def test_operations_cancelled_at_their_timeout_leave_the_pool_usable(ferretdb: str) -> None:
    """40 reads at a time on a 3-connection pool, each under a 0.3 s operation timeout and
    cancelled from outside at about that moment, as a time budget does; then a ping must
    answer and the client must close."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(ferretdb, maxPoolSize=3)
    things = client[f"t_{new_id('evt')[4:].lower()}"]["things"]
    await things.insert_many([{"_id": i, "s": "x" * 200 + str(i)} for i in range(20_000)])

    async def read() -> None:
        with pymongo.timeout(0.3), contextlib.suppress(PyMongoError):
            await things.find({"s": {"$regex": "9999$"}}).to_list()

    loop = asyncio.get_running_loop()
    try:
        for _ in range(ROUNDS):
            reads = [asyncio.create_task(read()) for _ in range(40)]
            for task in reads:
                loop.call_later(0.3 + random.random() * 0.05, task.cancel)
            await asyncio.wait(reads, timeout=10)
            ping = asyncio.create_task(client.admin.command("ping"))
            done, _ = await asyncio.wait([ping], timeout=5)
            assert ping in done, "the pool stayed locked after cancelled operations"
        await client.drop_database(things.database.name)
    finally:
        closing = asyncio.create_task(client.close())
        done, _ = await asyncio.wait([closing], timeout=5)
    assert closing in done


async def test_a_wait_that_times_out_answers_false_and_holds_the_lock() -> None:
    condition = Condition(Lock())
    async with condition:
        assert await wait_in_task(condition, 0.01) is False
        assert condition.locked()
    assert not condition.locked()


async def test_a_notified_wait_answers_true() -> None:
    condition = Condition(Lock())

    async def notify() -> None:
        async with condition:
            condition.notify_all()

    async with condition:
        asyncio.get_running_loop().call_later(0.01, lambda: asyncio.ensure_future(notify()))
        assert await wait_in_task(condition, 1) is True


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="installed before 3.12 only")
def test_the_pool_waits_in_task_once_the_kernel_is_imported() -> None:
    assert pool._async_cond_wait is wait_in_task
