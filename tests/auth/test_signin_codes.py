"""Member sign-in codes (:mod:`schema.kernel.signin_codes`) on the real FerretDB: single use,
also under concurrent consumers; void after too many wrong tries; expiring; replaced by a
newer code; stored only as a hash; logged with the phone masked."""

import asyncio
import logging
from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import new_id
from schema.kernel.phones import mask_phone
from schema.kernel.signin_codes import (
    MAX_WRONG_TRIES,
    SIGNIN_CODES,
    consume_signin_code,
    issue_signin_code,
    sweep_signin_codes,
)
from schema.kernel.time import utcnow

PHONE = "+8613812345678"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**8:08d}"


async def test_a_code_is_8_digits_stored_as_a_hash_and_logged_masked(
        db: AsyncDatabase, caplog: pytest.LogCaptureFixture) -> None:
    member_id = new_id("mem")
    with caplog.at_level(logging.INFO, logger="loopgate.members"):
        code = await issue_signin_code(db, member_id, PHONE)
    assert len(code) == 8 and code.isdigit()
    stored = [doc async for doc in db[SIGNIN_CODES].find({})]
    assert len(stored) == 1 and stored[0]["memberId"] == member_id
    assert code not in repr(stored)
    assert [r.getMessage() for r in caplog.records if r.name == "loopgate.members"] == [
        f"sign-in code for {mask_phone(PHONE)}: {code}"]


async def test_the_right_code_works_once(db: AsyncDatabase) -> None:
    member_id = new_id("mem")
    code = await issue_signin_code(db, member_id, PHONE)
    assert await consume_signin_code(db, "+8613800000000", code) is None
    assert await consume_signin_code(db, PHONE, code) == member_id
    assert await consume_signin_code(db, PHONE, code) is None


async def test_concurrent_consumers_get_the_member_once(db: AsyncDatabase) -> None:
    member_id = new_id("mem")
    code = await issue_signin_code(db, member_id, PHONE)
    answers = await asyncio.gather(*(consume_signin_code(db, PHONE, code) for _ in range(12)))
    assert answers.count(member_id) == 1 and answers.count(None) == 11


async def test_too_many_wrong_tries_void_the_code(db: AsyncDatabase) -> None:
    member_id = new_id("mem")
    code = await issue_signin_code(db, member_id, PHONE)
    for _ in range(MAX_WRONG_TRIES - 1):
        assert await consume_signin_code(db, PHONE, _wrong(code)) is None
    assert await consume_signin_code(db, PHONE, code) == member_id  # 4 misses still allow it

    code = await issue_signin_code(db, member_id, PHONE)
    await asyncio.gather(*(consume_signin_code(db, PHONE, _wrong(code))
                           for _ in range(MAX_WRONG_TRIES)))
    assert await consume_signin_code(db, PHONE, code) is None


async def test_a_new_code_replaces_the_old_one(db: AsyncDatabase) -> None:
    member_id = new_id("mem")
    old = await issue_signin_code(db, member_id, PHONE)
    new = await issue_signin_code(db, member_id, PHONE)
    if old != new:
        assert await consume_signin_code(db, PHONE, old) is None
    assert await consume_signin_code(db, PHONE, new) == member_id


async def test_an_expired_code_fails_and_is_swept(db: AsyncDatabase) -> None:
    member_id = new_id("mem")
    code = await issue_signin_code(db, member_id, PHONE)
    await consume_signin_code(db, PHONE, _wrong(code))   # leaves a marker to sweep too
    fresh = await issue_signin_code(db, new_id("mem"), "+8613900000000")
    await db[SIGNIN_CODES].update_many({"_id": {"$ne": "signin:+8613900000000"}}, {
        "$set": {"expiresAt": utcnow() - timedelta(seconds=1)}})
    assert await consume_signin_code(db, PHONE, code) is None
    assert await sweep_signin_codes(db) == 2
    assert [d["_id"] async for d in db[SIGNIN_CODES].find({})] == ["signin:+8613900000000"]
    assert await consume_signin_code(db, "+8613900000000", fresh) is not None
