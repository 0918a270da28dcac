"""Revision claims as leases: an abandoned claim is taken over once, a live one is respected,
and a winner too late to write does not write."""

import asyncio
from datetime import timedelta

import pytest

from schema.kernel import claims
from schema.kernel.claims import CLAIMS, Contended, reclaim_abandoned, update_claimed
from schema.kernel.time import utcnow


def _add_field(current: dict | None) -> dict:
    return {**(current or {}), "touched": True}


async def _claim_at(db, key: str, age: timedelta) -> None:
    await db[CLAIMS].insert_one({"_id": key, "at": utcnow() - age})


async def test_an_abandoned_revision_claim_is_taken_over(db):
    await db["docs"].insert_one({"_id": "d", "rev": 1, "n": 1})
    await _claim_at(db, "docs:d:2", claims.CLAIM_LEASE + timedelta(seconds=5))
    written = await update_claimed(db["docs"], db, "d", _add_field)
    assert written is not None and written["rev"] == 2
    assert await db["docs"].find_one({"_id": "d"}) == {"_id": "d", "rev": 2, "n": 1,
                                                       "touched": True}
    fresh = await db[CLAIMS].find_one({"_id": "docs:d:2"})
    assert utcnow() - fresh["at"] < timedelta(seconds=10)   # the taker's own claim now


async def test_a_live_claim_is_respected(db):
    await db["docs"].insert_one({"_id": "d", "rev": 1, "n": 1})
    await _claim_at(db, "docs:d:2", claims.WRITE_WITHIN)   # within its lease
    with pytest.raises(Contended, match="kept changing"):
        await update_claimed(db["docs"], db, "d", _add_field, wait=0.05)
    assert await db["docs"].find_one({"_id": "d"}) == {"_id": "d", "rev": 1, "n": 1}


async def test_concurrent_takers_remove_an_abandoned_claim_once(db):
    await _claim_at(db, "docs:d:2", claims.CLAIM_LEASE * 2)
    removed = await asyncio.gather(*(reclaim_abandoned(db, ["docs:d:2"], utcnow())
                                     for _ in range(10)))
    assert sorted(removed) == [0] * 9 + [1]
    assert await db[CLAIMS].find_one({"_id": "docs:d:2"}) is None
    assert await reclaim_abandoned(db, ["docs:d:2", "docs:missing:1"], utcnow()) == 0


async def test_a_winner_too_late_to_write_leaves_the_document_alone(db, monkeypatch):
    monkeypatch.setattr(claims, "WRITE_WITHIN", timedelta(microseconds=-1))
    await db["docs"].insert_one({"_id": "d", "rev": 1, "n": 1})
    with pytest.raises(Contended, match="kept changing"):
        await update_claimed(db["docs"], db, "d", _add_field, wait=0.05)
    assert await db["docs"].find_one({"_id": "d"}) == {"_id": "d", "rev": 1, "n": 1}
    assert await db[CLAIMS].find_one({"_id": "docs:d:2"}) is not None   # left for takeover


async def test_writers_in_one_process_take_turns_and_all_land(db):
    """200 concurrent writes of one document: none gives up, none is lost."""
    def add_one(current):
        return {"n": (current or {}).get("n", 0) + 1}

    await asyncio.gather(*(update_claimed(db["docs"], db, "d", add_one) for _ in range(200)))
    assert (await db["docs"].find_one({"_id": "d"}))["n"] == 200
