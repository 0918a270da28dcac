"""Chunked bulk writes against the real FerretDB: concurrency within the update budget and
failures reported per operation despite FerretDB's countless update-error replies."""

import asyncio
from typing import Any

import pytest
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.bulk import (
    StatementBudget,
    bulk_write_chunked,
    insert_missing,
)

CALLS = 3
UPDATES_PER_CALL = 1000


async def _counts(db: AsyncDatabase) -> dict[str, Any]:
    return {d["_id"]: d.get("n") async for d in db["docs"].find({})}


async def test_concurrent_bulk_writes_share_the_update_budget(db: AsyncDatabase) -> None:
    # Three callers of 64-statement chunks hold 192 update statements without the budget:
    # FerretDB's pool of 100 connections would deadlock and never answer again.
    ids = [[f"c{call}-{i:04d}" for i in range(UPDATES_PER_CALL)] for call in range(CALLS)]
    await insert_missing(db["docs"], [{"_id": i, "n": -1} for call in ids for i in call])
    await asyncio.sleep(1)  # the embedded server's _id index keeper indexes new collections

    async def write(call: int) -> None:
        outcome = await bulk_write_chunked(
            db["docs"], [UpdateOne({"_id": i}, {"$set": {"n": call}}) for i in ids[call]])
        assert outcome.errors == {} and outcome.upserted == set()

    await asyncio.wait_for(asyncio.gather(*(write(call) for call in range(CALLS))), 120)
    assert await _counts(db) == {i: call for call in range(CALLS) for i in ids[call]}


async def test_failed_set_is_reported_at_its_index_and_the_rest_applied(
        db: AsyncDatabase) -> None:
    await db["docs"].insert_many([{"_id": f"d{i}", "n": 0} for i in range(6)])
    operations = [UpdateOne({"_id": f"d{i}"}, {"$set": {"n": i}}) for i in range(6)]
    operations[2] = UpdateOne({"_id": "d2"}, {"$set": {"_id": "moved"}})  # _id is immutable
    outcome = await bulk_write_chunked(db["docs"], operations)
    assert list(outcome.errors) == [2]
    assert outcome.errors[2]["code"] == 66 and outcome.errors[2]["index"] == 2
    assert await _counts(db) == {"d0": 0, "d1": 1, "d2": 0, "d3": 3, "d4": 4, "d5": 5}


async def test_failed_increment_leaves_every_other_increment_applied_once(
        db: AsyncDatabase) -> None:
    await db["docs"].insert_many([{"_id": f"d{i}", "n": 10} for i in range(5)])
    await db["docs"].update_one({"_id": "d3"}, {"$set": {"n": "text"}})
    operations = [UpdateOne({"_id": f"d{i}"}, {"$inc": {"n": 1}}) for i in range(5)]
    outcome = await bulk_write_chunked(db["docs"], operations, chunk=2)
    assert list(outcome.errors) == [3] and outcome.errors[3]["code"] == 14
    assert await _counts(db) == {"d0": 11, "d1": 11, "d2": 11, "d3": "text", "d4": 11}


async def test_mixed_operations_report_errors_and_upserts_by_original_index(
        db: AsyncDatabase) -> None:
    await db["docs"].insert_many([{"_id": "old", "n": 0}, {"_id": "gone", "n": 0}])
    outcome = await bulk_write_chunked(db["docs"], [
        InsertOne({"_id": "new", "n": 1}),
        InsertOne({"_id": "old", "n": 1}),  # duplicate key
        UpdateOne({"_id": "made"}, {"$set": {"n": 2}}, upsert=True),
        ReplaceOne({"_id": "old"}, {"n": 3}),
        DeleteOne({"_id": "gone"}),
    ])
    assert {i: e["code"] for i, e in outcome.errors.items()} == {1: 11000}
    assert outcome.upserted == {2}
    assert await _counts(db) == {"old": 3, "new": 1, "made": 2}


async def test_anything_but_a_write_operation_is_refused(db: AsyncDatabase) -> None:
    with pytest.raises(TypeError, match="not a bulk write operation"):
        await bulk_write_chunked(db["docs"], [{"_id": "x"}])


async def test_budget_serves_waiters_in_order_without_starving_big_requests() -> None:
    budget = StatementBudget(4)
    order: list[str] = []
    release = asyncio.Event()

    async def take(name: str, count: int) -> None:
        async with budget.hold(count):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(take("small-1", 1))
    await asyncio.sleep(0)
    big = asyncio.create_task(take("big", 4))
    await asyncio.sleep(0)
    late = asyncio.create_task(take("small-2", 1))  # fits, but must not overtake "big"
    await asyncio.sleep(0.01)
    assert order == ["small-1"] and budget.free == 3
    release.set()
    await asyncio.gather(first, big, late)
    assert order == ["small-1", "big", "small-2"] and budget.free == 4


async def test_budget_returns_slots_of_a_cancelled_waiter() -> None:
    budget = StatementBudget(2)
    async with budget.hold(2):
        waiter = asyncio.create_task(budget.hold(1).__aenter__())
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert budget.free == 2
    async with budget.hold(2):
        assert budget.free == 0
    with pytest.raises(ValueError, match="cannot hold 3 of 2"):
        async with budget.hold(3):
            pass
