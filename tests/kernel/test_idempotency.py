"""Idempotency keys bound to an operation id (schema.kernel.idempotency)."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import UserError
from schema.kernel.idempotency import IDEMPOTENCY, RUN_LEASE, Refused, run_once
from schema.kernel.time import utcnow


def refuse(error: UserError) -> dict[str, Any]:
    return {"refused": error.code.value}


async def test_a_replay_gets_the_first_result_and_a_new_body_is_refused(
        db: AsyncDatabase) -> None:
    calls: list[str] = []

    async def run(op: str) -> dict[str, Any]:
        calls.append(op)
        return {"op": op}

    first = await run_once(db, "ptn_a", "pay", "k1", {"x": 1}, run, refuse)
    again = await run_once(db, "ptn_a", "pay", "k1", {"x": 1}, run, refuse)
    other = await run_once(db, "ptn_a", "pay", "k1", {"x": 2}, run, refuse)
    assert first == again and len(calls) == 1
    assert other == {"refused": "IDEMPOTENCY_KEY_REUSED"}


async def test_keys_are_scoped_per_partner_and_operation(db: AsyncDatabase) -> None:
    async def run(op: str) -> dict[str, Any]:
        return {"op": op}

    a = await run_once(db, "ptn_a", "pay", "k", {}, run, refuse)
    b = await run_once(db, "ptn_b", "pay", "k", {}, run, refuse)
    c = await run_once(db, "ptn_a", "refund", "k", {}, run, refuse)
    assert len({a["op"], b["op"], c["op"]}) == 3


async def test_a_failed_attempt_is_retried_with_the_same_operation_id(db: AsyncDatabase) -> None:
    seen: list[str] = []

    async def crash(op: str) -> dict[str, Any]:
        seen.append(op)
        raise ConnectionError("lost")

    async def finish(op: str) -> dict[str, Any]:
        seen.append(op)
        return {"op": op}

    with pytest.raises(ConnectionError):
        await run_once(db, "ptn_a", "pay", "k", {"x": 1}, crash, refuse)
    result = await run_once(db, "ptn_a", "pay", "k", {"x": 1}, finish, refuse)
    assert seen[0] == seen[1] == result["op"]
    assert await db[IDEMPOTENCY].count_documents({}) == 1


async def test_a_running_key_is_conflict_until_its_lease_runs_out(db: AsyncDatabase) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(op: str) -> dict[str, Any]:
        started.set()
        await release.wait()
        return {"op": op}

    first = asyncio.create_task(run_once(db, "ptn_a", "pay", "k", {}, slow, refuse))
    await started.wait()
    assert await run_once(db, "ptn_a", "pay", "k", {}, slow, refuse) == {"refused": "CONFLICT"}
    release.set()
    done = await first
    key = await db[IDEMPOTENCY].find_one({})
    assert key is not None and key["state"] == "done" and key["operationId"] == done["op"]


async def test_a_key_left_running_by_a_dead_process_is_taken_over_once(
        db: AsyncDatabase) -> None:
    async def run(op: str) -> dict[str, Any]:
        await asyncio.sleep(0.05)
        return {"op": op}

    await db[IDEMPOTENCY].insert_one({
        "_id": "idem:ptn_a:pay:k", "bodyHash": _hash({}), "state": "running",
        "operationId": "opn_dead", "attempt": 1,
        "startedAt": utcnow() - RUN_LEASE - timedelta(seconds=1), "createdAt": utcnow(),
        "expiresAt": utcnow() + timedelta(days=7)})
    results = await asyncio.gather(*(run_once(db, "ptn_a", "pay", "k", {}, run, refuse)
                                     for _ in range(5)))
    assert results.count({"op": "opn_dead"}) == 1
    assert all(r in ({"op": "opn_dead"}, {"refused": "CONFLICT"}) for r in results)


async def test_refused_releases_the_key(db: AsyncDatabase) -> None:
    async def refusing(op: str) -> dict[str, Any]:
        raise Refused({"refused": "batch"})

    async def run(op: str) -> dict[str, Any]:
        return {"op": op}

    assert await run_once(db, "ptn_a", "sync", "k", {"a": 1}, refusing, refuse) == {
        "refused": "batch"}
    assert "op" in await run_once(db, "ptn_a", "sync", "k", {"a": 2}, run, refuse)


def _hash(body: Any) -> str:
    from schema.kernel.idempotency import body_hash

    return body_hash(body)


async def test_a_contended_write_is_a_retryable_conflict_and_the_retry_runs_the_same_operation(
        db: AsyncDatabase) -> None:
    from schema.kernel.claims import Contended

    seen: list[str] = []

    async def busy(op: str) -> dict[str, Any]:
        seen.append(op)
        raise Contended("wallet kept changing; gave up")

    async def run(op: str) -> dict[str, Any]:
        seen.append(op)
        return {"op": op}

    assert await run_once(db, "ptn_a", "pay", "k", {}, busy, refuse) == {"refused": "CONFLICT"}
    assert await run_once(db, "ptn_a", "pay", "k", {}, run, refuse) == {"op": seen[0]}
    assert seen[0] == seen[1]
