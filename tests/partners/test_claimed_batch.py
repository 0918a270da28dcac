"""update_claimed_many: batched claimed writes lose no update when batches and single writers
race on the same documents (FerretDB updates are unlocked read-modify-writes)."""

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claimed_batch import update_claimed_many
from schema.kernel.claims import update_claimed

COUNTERS = "test_counters"


def _plus_one(current: dict | None) -> dict:
    return {"n": (current or {}).get("n", 0) + 1}


async def test_batches_and_single_writers_racing_lose_no_increment(db: AsyncDatabase) -> None:
    ids = [f"c{i}" for i in range(10)]

    async def batch() -> None:
        for _ in range(5):
            await update_claimed_many(db[COUNTERS], db, [(i, _plus_one) for i in ids])

    async def single(document_id: str) -> None:
        for _ in range(5):
            await update_claimed(db[COUNTERS], db, document_id, _plus_one)

    await asyncio.gather(batch(), batch(), *(single(i) for i in ids[:3]))
    found = {d["_id"]: d["n"] for d in await db[COUNTERS].find({}).to_list()}
    assert found == {i: 10 + (5 if i in ids[:3] else 0) for i in ids}


async def test_a_change_that_declines_writes_nothing_and_answers_none(db: AsyncDatabase) -> None:
    await db[COUNTERS].insert_one({"_id": "kept", "n": 7, "rev": 3})
    written = await update_claimed_many(db[COUNTERS], db, [
        ("kept", lambda current: None), ("new", _plus_one)])
    assert written[0] is None and written[1]["n"] == 1 and written[1]["rev"] == 1
    assert (await db[COUNTERS].find_one({"_id": "kept"}))["rev"] == 3
