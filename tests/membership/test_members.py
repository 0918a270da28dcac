"""Registration: one member per phone platform-wide, relationships, who sees a member."""

import asyncio
import logging

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.signin_codes import SIGNIN_CODES, consume_signin_code
from schema.membership.members import MEMBERS
from schema.membership.phones import PHONES, InvalidPhone, mask_phone, normalise_phone
from tests.membership.helpers import REGISTER, data, member_token, partner, register, run

MEMBER = "query($id: ID!) { member(id: $id) { id displayName phoneMasked tier } }"


@pytest.mark.parametrize(("raw", "e164"), [
    ("13800001111", "+8613800001111"), ("+86 138-0000-1111", "+8613800001111"),
    ("0086 138 0000 1111", "+8613800001111"), ("+14155550123", "+14155550123")])
def test_phones_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "abc", "12345", "+86 12800001111", "+8613800",
                                 "23800001111", "+0123456789", "138000011112"])
def test_garbage_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_phones_are_masked() -> None:
    assert mask_phone("+8613800001111") == "+86 138****1111"
    assert "5550" not in mask_phone("+14155550123")


async def test_registering_a_known_phone_returns_that_member(db: AsyncDatabase) -> None:
    quickmart, coffee = partner(), partner()
    first = await register(db, quickmart, "13800001111", "Ann")
    again = await data(db, REGISTER, coffee, input={"phone": "+86 138 0000 1111",
                                                    "displayName": "Someone else"})
    member = again["registerMember"]["member"]
    assert member["id"] == first
    assert member["displayName"] == "Ann"
    assert member["phoneMasked"] == "+86 138****1111"
    assert member["tier"] == "STANDARD"
    assert await db[MEMBERS].count_documents({}) == 1
    # the second merchant now has a relationship and sees the member
    assert (await data(db, MEMBER, coffee, id=first))["member"]["id"] == first
    # a sign-in code was issued once, for the new member
    assert await db[SIGNIN_CODES].count_documents({"memberId": first}) == 1


async def test_concurrent_registrations_of_one_phone_make_one_member(db: AsyncDatabase) -> None:
    merchants = [partner() for _ in range(20)]
    ids = await asyncio.gather(*(register(db, who, "13900002222", f"Name {i}")
                                 for i, who in enumerate(merchants)))
    assert len(set(ids)) == 1
    assert await db[MEMBERS].count_documents({}) == 1
    assert await db[PHONES].count_documents({}) == 1
    for who in merchants:
        assert (await data(db, MEMBER, who, id=ids[0]))["member"]["id"] == ids[0]


async def test_bad_registration_input_is_a_user_error(db: AsyncDatabase) -> None:
    who = partner()
    bad_phone = await data(db, REGISTER, who, input={"phone": '{"$gt": ""}',
                                                     "displayName": "Ann"})
    assert bad_phone["registerMember"]["member"] is None
    assert [(e["code"], e["field"]) for e in bad_phone["registerMember"]["userErrors"]] == [
        ("INVALID", ["input", "phone"])]
    bad_name = await data(db, REGISTER, who, input={"phone": "13800003333",
                                                    "displayName": "   "})
    assert [(e["code"], e["field"]) for e in bad_name["registerMember"]["userErrors"]] == [
        ("INVALID", ["input", "displayName"])]
    assert await db[MEMBERS].count_documents({}) == 0


async def test_a_stranger_gets_forbidden_and_the_member_sees_itself(db: AsyncDatabase) -> None:
    member_id = await register(db, partner(), "13800004444", "Bea")
    stranger = await run(db, MEMBER, partner(), id=member_id)
    assert stranger.data == {"member": None}
    assert [e.extensions["code"] for e in stranger.errors] == ["FORBIDDEN"]
    mine = await data(db, "{ me { id displayName } }", member_token(member_id))
    assert mine == {"me": {"id": member_id, "displayName": "Bea"}}
    own = await data(db, MEMBER, member_token(member_id), id=member_id)
    assert own["member"]["id"] == member_id
    other = await register(db, partner(), "13800005555", "Cy")
    foreign = await run(db, MEMBER, member_token(member_id), id=other)
    assert [e.extensions["code"] for e in foreign.errors] == ["FORBIDDEN"]


async def test_unknown_and_malformed_member_ids(db: AsyncDatabase) -> None:
    unknown = await run(db, MEMBER, partner(), id="mem_01JAAAAAAAAAAAAAAAAAAAAAAA")
    assert [e.extensions["code"] for e in unknown.errors] == ["FORBIDDEN"]
    injected = await run(db, MEMBER, partner(), id='{"$ne": null}')
    assert [e.extensions["code"] for e in injected.errors] == ["BAD_USER_INPUT"]


async def test_member_tokens_see_own_only_fields_and_partners_do_not(db: AsyncDatabase) -> None:
    quickmart = partner()
    member_id = await register(db, quickmart, "13800006666", "Dee")
    query = """query($id: ID!) { member(id: $id) { storedValueBalance { amount currency }
               card { code } } }"""
    theirs = await run(db, query, quickmart, id=member_id)
    assert theirs.data == {"member": {"storedValueBalance": None, "card": None}}
    assert {e.extensions["code"] for e in theirs.errors} == {"FORBIDDEN"}
    mine = await data(db, query, member_token(member_id), id=member_id)
    assert mine["member"]["storedValueBalance"] == {"amount": 0, "currency": "CNY"}
    assert len(mine["member"]["card"]["code"]) <= 64


async def test_a_new_member_gets_a_working_sign_in_code(db: AsyncDatabase,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="loopgate.members"):
        member_id = await register(db, partner(), "138 0000 8888")
    [record] = [r for r in caplog.records if r.name == "loopgate.members"]
    code = record.getMessage().rsplit(" ", 1)[-1]
    assert "13800008888" not in record.getMessage()   # the phone is masked in the log
    assert await consume_signin_code(db, "+8613800008888", code) == member_id
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="loopgate.members"):
        await register(db, partner(), "13800008888")   # known phone: no new code
    assert [r for r in caplog.records if r.name == "loopgate.members"] == []


async def test_a_sandbox_member_gets_no_sign_in_code(db: AsyncDatabase) -> None:
    """Sign-in is live only: a code in the sandbox would be one nobody can use."""
    from schema.kernel.sandbox import sandbox_name

    sandbox = db.client[sandbox_name(db.name)]
    try:
        member_id = await register(sandbox, partner(), "13800007777")
        assert await sandbox[MEMBERS].find_one({"_id": member_id}) is not None
        assert await sandbox[SIGNIN_CODES].count_documents({}) == 0
    finally:
        await db.client.drop_database(sandbox.name)
