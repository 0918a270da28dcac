"""Earning, redeeming and reversing points through the schema: rules, idempotency, refusals."""

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.events import EVENTS, relay_outboxes
from schema.kernel.idempotency import IDEMPOTENCY
from schema.kernel.ids import new_id
from schema.wallet import WALLET, wallet_of
from tests.membership.helpers import (
    EARN,
    SET_RULE,
    data,
    earn,
    member_token,
    partner,
    redeem,
    register,
    reverse,
    run,
    set_rule,
)

LEDGER = """query($id: ID!, $after: String) { member(id: $id) { pointsBalance
  pointsLedger(first: 2, after: $after) { edges { cursor node { id merchant { id } type points
  balanceAfter } } pageInfo { hasNextPage endCursor } } } }"""


def codes(payload: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def _entries(db: AsyncDatabase, member_id: str) -> list[dict]:
    return await db[WALLET.entries].find({"account": member_id}).sort("seq", 1).to_list()


async def test_earning_follows_the_rule_rounding_down(db: AsyncDatabase) -> None:
    merchant = partner()
    member_id = await register(db, merchant, "13800002020")
    await set_rule(db, merchant, per_unit=3, value=2)
    rule = await data(db, "query($m: ID!) { earnRule(merchantId: $m) { merchant { id } "
                      "pointsPerCurrencyUnit pointValue { amount currency } } }", merchant,
                      m=merchant.partner_id)
    assert rule["earnRule"] == {"merchant": {"id": merchant.partner_id},
                                "pointsPerCurrencyUnit": 3,
                                "pointValue": {"amount": 2, "currency": "CNY"}}
    earned = await earn(db, merchant, member_id, 1_999)   # 19.99 yuan at 3 a yuan: 59.97
    assert earned["userErrors"] == []
    assert earned["entry"]["points"] == 59 and earned["entry"]["type"] == "EARN"
    assert earned["balance"] == 59
    assert (await wallet_of(db, member_id)).points == 59


async def test_idempotent_replays_and_key_reuse(db: AsyncDatabase) -> None:
    merchant = partner()
    member_id = await register(db, merchant, "13800002121")
    await set_rule(db, merchant)
    first = await earn(db, merchant, member_id, 10_000, key="k-1")
    replay = await earn(db, merchant, member_id, 10_000, key="k-1")
    assert replay == first
    reused = await earn(db, merchant, member_id, 20_000, key="k-1")
    assert codes(reused) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    spent = await redeem(db, merchant, member_id, 30, key="r-1")
    assert await redeem(db, merchant, member_id, 30, key="r-1") == spent
    assert codes(await redeem(db, merchant, member_id, 31, key="r-1")) == [
        ("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    back = await reverse(db, merchant, spent["entry"]["id"], key="v-1")
    assert await reverse(db, merchant, spent["entry"]["id"], key="v-1") == back
    assert (await wallet_of(db, member_id)).points == 100
    assert [e["type"] for e in await _entries(db, member_id)] == ["EARN", "REDEEM", "REVERSE"]


async def test_a_retry_after_a_crash_completes_the_same_operation(db: AsyncDatabase) -> None:
    merchant = partner()
    member_id = await register(db, merchant, "13800002222")
    await set_rule(db, merchant)
    first = await earn(db, merchant, member_id, 5_000, key="crash-1")
    key_id = f"idem:{merchant.partner_id}:earnPoints:crash-1"
    # the process died after the wallet write, before the key recorded the result
    await db[IDEMPOTENCY].update_one({"_id": key_id}, {"$set": {"state": "failed"},
                                                       "$unset": {"result": ""}})
    again = await earn(db, merchant, member_id, 5_000, key="crash-1")
    assert again["entry"]["id"] == first["entry"]["id"]
    assert (await wallet_of(db, member_id)).points == 50
    assert len(await _entries(db, member_id)) == 1


async def test_redeeming_needs_an_earn_rule_and_enough_points(db: AsyncDatabase) -> None:
    issuer, outsider = partner(), partner()
    member_id = await register(db, issuer, "13800002323")
    await set_rule(db, issuer)
    await earn(db, issuer, member_id, 1_000)
    assert codes(await redeem(db, outsider, member_id, 5)) == [("FORBIDDEN", ["input"])]
    short = await redeem(db, issuer, member_id, 11)
    assert codes(short) == [("INSUFFICIENT_POINTS", ["input", "points"])]
    assert (await wallet_of(db, member_id)).points == 10


async def test_reversals_happen_once_and_never_go_negative(db: AsyncDatabase) -> None:
    a, b = partner(), partner()
    member_id = await register(db, a, "13800002424")
    await set_rule(db, a)
    await set_rule(db, b)
    earned = await earn(db, a, member_id, 10_000)
    await register(db, b, "13800002424")
    await redeem(db, b, member_id, 80)
    refused = await reverse(db, a, earned["entry"]["id"])
    assert codes(refused) == [("INSUFFICIENT_POINTS", ["input", "entryId"])]
    small = await earn(db, a, member_id, 500)
    assert (await reverse(db, a, small["entry"]["id"]))["balance"] == 20
    assert codes(await reverse(db, a, small["entry"]["id"])) == [("CONFLICT", ["input", "entryId"])]
    assert codes(await reverse(db, b, earned["entry"]["id"])) == [
        ("NOT_FOUND", ["input", "entryId"])]
    assert (await wallet_of(db, member_id)).points == 20


async def test_bad_input_leaves_balances_untouched(db: AsyncDatabase) -> None:
    merchant = partner()
    member_id = await register(db, merchant, "13800002525")
    await set_rule(db, merchant)
    await earn(db, merchant, member_id, 1_000)
    refusals = [
        (await earn(db, merchant, member_id, 0), ("INVALID", ["input", "spend", "amount"])),
        (await earn(db, merchant, member_id, -100), ("INVALID", ["input", "spend", "amount"])),
        (await earn(db, merchant, member_id, 50), ("INVALID", ["input", "spend", "amount"])),
        (await earn(db, merchant, member_id, 1_000, currency="USD"),
         ("CURRENCY_MISMATCH", ["input", "spend", "currency"])),
        (await earn(db, merchant, new_id("mem"), 1_000), ("NOT_FOUND", ["input", "memberId"])),
        (await redeem(db, merchant, member_id, 0), ("INVALID", ["input", "points"])),
        (await redeem(db, merchant, member_id, -3), ("INVALID", ["input", "points"])),
        (await redeem(db, merchant, new_id("mem"), 1), ("NOT_FOUND", ["input", "memberId"])),
        (await redeem(db, merchant, member_id, 1, storeId=new_id("sto")),
         ("NOT_FOUND", ["input", "storeId"])),
        (await redeem(db, merchant, member_id, 1, reference='{"$where": "1"}' * 20),
         ("INVALID", ["input", "reference"])),
        (await earn(db, merchant, member_id, 1_000, key=""), ("INVALID", ["input",
                                                                      "idempotencyKey"])),
    ]
    for payload, expected in refusals:
        assert codes(payload) == [expected], payload
        assert payload["entry"] is None
    order = await data(db, EARN, merchant, input={
        "memberId": member_id, "spend": {"amount": 1_000}, "orderId": new_id("ord"),
        "idempotencyKey": new_id("evt")})
    assert codes(order["earnPoints"]) == [("NOT_FOUND", ["input", "orderId"])]
    injected = await run(db, EARN, merchant, input={
        "memberId": '{"$gt": ""}', "spend": {"amount": 1_000}, "idempotencyKey": "x"})
    assert [e.extensions["code"] for e in injected.errors] == ["BAD_USER_INPUT"]
    bad_rule = await data(db, SET_RULE, merchant, input={"pointsPerCurrencyUnit": -1,
                                                         "pointValue": {"amount": 0}})
    assert {e["code"] for e in bad_rule["setEarnRule"]["userErrors"]} == {"INVALID"}
    assert (await wallet_of(db, member_id)).points == 10
    assert len(await _entries(db, member_id)) == 1


async def test_a_stores_staff_app_redeems_only_at_its_store(db: AsyncDatabase) -> None:
    from tests.stores.helpers import make_store

    merchant_id = new_id("ptn")
    owner = partner(merchant_id, "stores:write", "stores:read")
    mine = await make_store(db, owner, "S-1", 31.23, 121.47)
    other = await make_store(db, owner, "S-2", 31.24, 121.48)
    app = partner(merchant_id)
    member_id = await register(db, app, "13800002626")
    await set_rule(db, app)
    await earn(db, app, member_id, 10_000)
    staff = partner(merchant_id, stores=frozenset({mine}))
    assert codes(await redeem(db, staff, member_id, 5)) == [("INVALID", ["input", "storeId"])]
    assert codes(await redeem(db, staff, member_id, 5, storeId=other)) == [
        ("FORBIDDEN", ["input", "storeId"])]
    done = await redeem(db, staff, member_id, 5, storeId=mine)
    assert done["userErrors"] == [] and done["balance"] == 95


async def test_ledgers_a_merchant_sees_its_own_entries_the_member_all(db: AsyncDatabase) -> None:
    a, b = partner(), partner()
    member_id = await register(db, a, "13800002727")
    await register(db, b, "13800002727")
    await set_rule(db, a)
    await set_rule(db, b)
    for _ in range(3):
        await earn(db, a, member_id, 1_000)
    await earn(db, b, member_id, 2_000)
    await redeem(db, b, member_id, 15)

    async def pages(who) -> list[dict]:
        nodes, after = [], None
        while True:
            page = (await data(db, LEDGER, who, id=member_id, after=after))["member"]
            nodes += [edge["node"] for edge in page["pointsLedger"]["edges"]]
            if not page["pointsLedger"]["pageInfo"]["hasNextPage"]:
                return nodes
            after = page["pointsLedger"]["pageInfo"]["endCursor"]

    own = await pages(member_token(member_id))
    assert [n["points"] for n in own] == [-15, 20, 10, 10, 10]
    assert [n["balanceAfter"] for n in own] == [35, 50, 30, 20, 10]
    assert {n["merchant"]["id"] for n in await pages(a)} == {a.partner_id}
    assert [n["type"] for n in await pages(b)] == ["REDEEM", "EARN"]
    balance = (await data(db, LEDGER, a, id=member_id))["member"]["pointsBalance"]
    assert balance == 35
    no_scope = await run(db, LEDGER, partner(a.partner_id, "members:read"), id=member_id)
    assert no_scope.data["member"]["pointsBalance"] is None
    bad_cursor = await run(db, LEDGER, a, id=member_id, after="garbage")
    assert {e.extensions["code"] for e in bad_cursor.errors} == {"BAD_USER_INPUT"}


async def test_earning_and_redeeming_write_events_for_the_merchant(db: AsyncDatabase) -> None:
    a, b = partner(), partner()
    member_id = await register(db, a, "13800002828")
    await set_rule(db, a)
    await set_rule(db, b)
    await earn(db, a, member_id, 3_000)
    await register(db, b, "13800002828")
    await redeem(db, b, member_id, 10)
    await relay_outboxes(db)
    events = await db[EVENTS].find({}).sort("sequence", 1).to_list()
    assert [(e["topic"], e["partnerId"], e["resource"]["id"], e["data"]["points"])
            for e in events] == [("points.earned", a.partner_id, member_id, 30),
                                 ("points.redeemed", b.partner_id, member_id, -10)]


async def test_a_merchant_the_member_does_not_deal_with_cannot_take_their_points(
        db: AsyncDatabase) -> None:
    issuer, other = partner(), partner()
    member_id = await register(db, issuer, "13800002929")
    await set_rule(db, issuer)
    await set_rule(db, other)
    await earn(db, issuer, member_id, 500)
    assert codes(await redeem(db, other, member_id, 1)) == [("FORBIDDEN", ["input", "memberId"])]
    hidden = await run(db, LEDGER, other, id=member_id)
    assert [e.extensions["code"] for e in hidden.errors] == ["FORBIDDEN"]
    await register(db, other, "13800002929")   # the member signs up there too
    assert (await redeem(db, other, member_id, 1))["userErrors"] == []
    assert (await data(db, LEDGER, other, id=member_id))["member"]["pointsBalance"] == 4
