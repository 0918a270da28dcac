"""The e-membership card: a member's own code, scanned by a store's staff; tampered, expired
and unknown-key codes are CARD_CODE_INVALID; keys rotate and the previous one still scans."""

import base64
from datetime import timedelta
from unittest.mock import patch

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import new_id
from schema.kernel.time import utcnow
from schema.membership import cards
from schema.membership.card_keys import CARD_KEYS, KEY_SET, ROTATE_AFTER, rotate_card_keys
from tests.membership.helpers import data, member_token, partner, register, run

CARD = "{ me { card { code expiresAt } } }"
SCAN = "query($code: String!) { memberByCard(code: $code) { id displayName } }"


def _kid(code: str) -> bytes:
    return base64.b32decode(code + "=" * (-len(code) % 8))[1:3]


async def _code(db: AsyncDatabase, member_id: str) -> str:
    return (await data(db, CARD, member_token(member_id)))["me"]["card"]["code"]


async def _scan_error(db: AsyncDatabase, code: object) -> list[str]:
    result = await run(db, SCAN, partner(stores=frozenset({new_id("sto")})), code=code)
    assert result.data == {"memberByCard": None}
    return [e.extensions["code"] for e in result.errors]


async def test_a_card_round_trips_for_a_stores_staff_app(db: AsyncDatabase) -> None:
    member_id = await register(db, partner(), "13800001212", "Ann")
    card = (await data(db, CARD, member_token(member_id)))["me"]["card"]
    assert len(card["code"]) <= 64 and card["code"].isalnum()
    staff = partner(stores=frozenset({new_id("sto")}))
    scanned = await data(db, SCAN, staff, code=card["code"])
    assert scanned == {"memberByCard": {"id": member_id, "displayName": "Ann"}}
    own_app = partner()
    assert (await data(db, SCAN, own_app, code=card["code"]))["memberByCard"]["id"] == member_id


async def test_a_tampered_code_is_invalid(db: AsyncDatabase) -> None:
    member_id = await register(db, partner(), "13800001313")
    other = await register(db, partner(), "13800001414")
    code = await _code(db, member_id)
    raw = bytearray(base64.b32decode(code + "=" * (-len(code) % 8)))
    for index in (1, 3, 10, 19, 22, len(raw) - 1):   # key id, member, expiry, tag
        forged = bytearray(raw)
        forged[index] ^= 0x01
        text = base64.b32encode(bytes(forged)).decode().rstrip("=")
        assert await _scan_error(db, text) == ["CARD_CODE_INVALID"]
    other_raw = base64.b32decode((o := await _code(db, other)) + "=" * (-len(o) % 8))
    spliced = raw[:3] + other_raw[3:19] + raw[19:]   # another member's id under this tag
    assert await _scan_error(db, base64.b32encode(bytes(spliced)).decode().rstrip("=")) == [
        "CARD_CODE_INVALID"]
    for garbage in ("", "not a code", "A" * 65, '{"$gt": ""}', code[:-2]):
        assert await _scan_error(db, garbage) == ["CARD_CODE_INVALID"]


async def test_an_expired_code_is_invalid(db: AsyncDatabase) -> None:
    member_id = await register(db, partner(), "13800001515")
    code = await _code(db, member_id)
    later = utcnow() + cards.VALID_FOR + timedelta(seconds=1)
    with patch.object(cards, "utcnow", lambda: later):
        assert await _scan_error(db, code) == ["CARD_CODE_INVALID"]


async def test_keys_rotate_and_unknown_keys_are_invalid(db: AsyncDatabase) -> None:
    member_id = await register(db, partner(), "13800001616")
    before = await _code(db, member_id)
    keys = await db[CARD_KEYS].find_one({"_id": KEY_SET})
    aged = [{**k, "createdAt": k["createdAt"] - ROTATE_AFTER - timedelta(minutes=1)}
            for k in keys["keys"]]
    await db[CARD_KEYS].update_one({"_id": KEY_SET}, {"$set": {"keys": aged}})
    assert await rotate_card_keys(db) == 1
    assert await rotate_card_keys(db) == 0
    after = await _code(db, member_id)
    assert _kid(after) != _kid(before)
    staff = partner(stores=frozenset({new_id("sto")}))
    for code in (before, after):   # the previous key still verifies
        assert (await data(db, SCAN, staff, code=code))["memberByCard"]["id"] == member_id
    rotated = await db[CARD_KEYS].find_one({"_id": KEY_SET})
    newest = rotated["keys"][-1]
    await db[CARD_KEYS].update_one({"_id": KEY_SET}, {"$set": {"keys": [newest]}})
    assert await _scan_error(db, before) == ["CARD_CODE_INVALID"]   # its key was retired


async def test_only_a_members_own_token_gets_a_card_and_members_cannot_scan(
        db: AsyncDatabase) -> None:
    merchant = partner()
    member_id = await register(db, merchant, "13800001717")
    theirs = await run(db, "query($id: ID!) { member(id: $id) { card { code } } }", merchant,
                       id=member_id)
    assert theirs.data == {"member": {"card": None}}
    assert [e.extensions["code"] for e in theirs.errors] == ["FORBIDDEN"]
    code = await _code(db, member_id)
    by_member = await run(db, SCAN, member_token(member_id), code=code)
    assert [e.extensions["code"] for e in by_member.errors] == ["FORBIDDEN"]
    no_scope = await run(db, SCAN, partner(None, "points:read"), code=code)
    assert [e.extensions["code"] for e in no_scope.errors] == ["FORBIDDEN"]


async def test_showing_the_card_lets_that_merchant_see_the_member_and_take_points(
        db: AsyncDatabase) -> None:
    from schema.membership.relationships import has_relationship
    from tests.membership.helpers import earn, redeem, set_rule

    issuer, shop = partner(), partner()
    member_id = await register(db, issuer, "13800001313")
    await set_rule(db, issuer)
    await set_rule(db, shop)
    await earn(db, issuer, member_id, 1_000)
    assert not await has_relationship(db, shop.partner_id, member_id)
    await data(db, SCAN, shop, code=await _code(db, member_id))
    assert await has_relationship(db, shop.partner_id, member_id)
    assert (await redeem(db, shop, member_id, 5))["userErrors"] == []
