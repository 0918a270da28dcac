"""createPayment and its lifecycle on the real FerretDB: balance portions all or nothing,
external portions through the sandbox provider, cancellation and the 15-minute sweep giving
the balance back once, status only forward, and the bad input of issue #12."""

from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.events import EVENTS, relay_outboxes
from schema.kernel.ids import new_id
from schema.kernel.outcomes import on_payment_outcome, remove_payment_outcome_handler
from schema.kernel.time import utcnow
from schema.membership.relationships import has_relationship
from schema.payments.collections import OPEN, PAYMENTS
from schema.payments.jobs import work_open
from schema.payments.lifecycle import end, finish
from schema.payments.notifications import apply_outcome
from schema.payments.providers import LIVE_ENV
from schema.payments.status import advance
from tests.payments.helpers import (
    balances,
    codes,
    ledger_sums,
    member_with,
    merchant_with_rule,
    pay,
    portion,
    request,
)


async def test_balance_portions_are_taken_together_and_the_payment_succeeds(
        db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db, point_value=5)
    member = await member_with(db, merchant, stored_value=1_000, points=100)

    result = await pay(db, merchant, request(1_100, portion("STORED_VALUE", 600),
                                             portion("POINTS", points=100), member=member))

    assert result["userErrors"] == []
    payment = await db[PAYMENTS].find_one({"_id": result["paymentId"]})
    assert payment["status"] == "SUCCEEDED"
    assert [(p["method"], p["amount"], p["points"]) for p in payment["portions"]] == [
        ("STORED_VALUE", 600, None), ("POINTS", 500, 100)]
    assert await relay_outboxes(db) >= 1
    [event] = await db[EVENTS].find({"topic": "payment.succeeded"}).to_list()
    assert (event["partnerId"], event["resource"], event["sequence"]) == (
        merchant, {"type": "Payment", "id": payment["_id"]}, 1)
    assert event["data"]["amount"] == {"amount": 1_100, "currency": "CNY"}
    assert await balances(db, member) == (0, 400)
    assert await ledger_sums(db, member) == (0, 400)
    assert await db[OPEN].find_one({"_id": payment["_id"]}) is None


async def test_only_a_merchant_the_member_knows_takes_the_balance(db: AsyncDatabase) -> None:
    home, other = await merchant_with_rule(db), await merchant_with_rule(db)
    member = await member_with(db, home, stored_value=1_000)

    refused = await pay(db, other, request(100, portion("STORED_VALUE", 100), member=member))
    external = await pay(db, other, request(100, portion("EXTERNAL", 100), member=member))
    assert not await has_relationship(db, other, member)
    await apply_outcome(db, await db[PAYMENTS].find_one({"_id": external["paymentId"]}),
                        "SUCCEEDED")

    assert codes(refused) == ["FORBIDDEN"] and refused["userErrors"][0]["field"] == [
        "input", "memberId"]
    assert await has_relationship(db, other, member)   # it was paid there: now it knows
    assert await balances(db, member) == (0, 1_000)


async def test_a_short_wallet_takes_nothing_from_either_portion(db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db)
    member = await member_with(db, merchant, stored_value=1_000, points=10)

    result = await pay(db, merchant, request(1_100, portion("STORED_VALUE", 1_000),
                                             portion("POINTS", points=20), member=member))

    assert codes(result) == ["INSUFFICIENT_POINTS"] and result["paymentId"] is None
    assert await balances(db, member) == (10, 1_000)


async def test_an_external_payment_waits_and_cancel_gives_the_balance_back_once(
        db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db)
    member = await member_with(db, merchant, stored_value=1_000)
    outcomes = []

    async def heard(_db: AsyncDatabase, outcome: object) -> None:
        outcomes.append(outcome)

    on_payment_outcome("ORDER", heard)
    try:
        result = await pay(db, merchant, request(1_500, portion("STORED_VALUE", 500),
                                                 portion("EXTERNAL", 1_000), member=member))
        payment = await db[PAYMENTS].find_one({"_id": result["paymentId"]})
        assert payment["status"] == "REQUIRES_PAYMENT"
        assert payment["nextAction"]["provider"] == "sandbox"
        assert payment["_id"] in payment["nextAction"]["qrPayload"]
        assert await balances(db, member) == (0, 500)

        ended = await end(db, payment["_id"], "CANCELED", "test")
        await finish(db, ended.payment)
        await finish(db, ended.payment)   # a second finish gives nothing more back
        again = await end(db, payment["_id"], "CANCELED", "test")
    finally:
        remove_payment_outcome_handler("ORDER", heard)
    assert not again.moved
    assert await balances(db, member) == (0, 1_000)
    assert await ledger_sums(db, member) == (0, 1_000)
    assert {(o.payment_id, o.status) for o in outcomes} == {(payment["_id"], "CANCELED")}


async def test_the_sweep_cancels_a_payment_waiting_15_minutes(db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db)
    member = await member_with(db, merchant, stored_value=800)
    result = await pay(db, merchant, request(1_000, portion("STORED_VALUE", 800),
                                             portion("EXTERNAL", 200), member=member))
    payment_id = result["paymentId"]
    entry = await db[OPEN].find_one({"_id": payment_id})
    assert entry["dueAt"] - utcnow() > timedelta(minutes=14)
    assert await work_open(db) == 0   # not due yet

    await db[OPEN].update_one({"_id": payment_id},
                              {"$set": {"dueAt": utcnow() - timedelta(seconds=1)}})
    assert await work_open(db) == 1

    payment = await db[PAYMENTS].find_one({"_id": payment_id})
    assert payment["status"] == "CANCELED"
    assert await balances(db, member) == (0, 800)
    assert await db[OPEN].find_one({"_id": payment_id}) is None


async def test_status_moves_only_forward(db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db)
    result = await pay(db, merchant, request(300, portion("EXTERNAL", 300)))
    payment_id = result["paymentId"]

    assert (await advance(db, payment_id, "PROCESSING")).moved
    assert not (await advance(db, payment_id, "REQUIRES_PAYMENT")).moved
    assert not (await advance(db, payment_id, "CANCELED")).moved
    assert (await advance(db, payment_id, "SUCCEEDED")).moved
    for backwards in ("REQUIRES_PAYMENT", "PROCESSING", "FAILED", "CANCELED"):
        moved = await advance(db, payment_id, backwards)
        assert not moved.moved and moved.payment["status"] == "SUCCEEDED"


async def test_a_live_external_portion_needs_the_operator(db: AsyncDatabase,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.delenv(LIVE_ENV)
    merchant = await merchant_with_rule(db)

    result = await pay(db, merchant, request(300, portion("EXTERNAL", 300)))

    assert codes(result) == ["FORBIDDEN"]
    assert LIVE_ENV in result["userErrors"][0]["message"]
    assert await db[PAYMENTS].count_documents({}) == 0


async def test_bad_input_is_refused_and_balances_are_untouched(db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db, point_value=5)
    stranger = new_id("ptn")   # no earn rule
    member = await member_with(db, merchant, stored_value=1_000, points=100)
    cases = [
        (merchant, request(0, portion("STORED_VALUE", 0), member=member), ["INVALID"]),
        (merchant, request(-5, portion("STORED_VALUE", -5), member=member), ["INVALID"]),
        (merchant, request(100, portion("STORED_VALUE", 100, currency="USD"), member=member),
         ["CURRENCY_MISMATCH"]),
        (merchant, request(100, portion("STORED_VALUE", 100), member=member, currency="USD"),
         ["CURRENCY_MISMATCH"]),
        (merchant, request(100, portion("STORED_VALUE", 60), member=member), ["INVALID"]),
        (merchant, request(100, portion("STORED_VALUE", 50), portion("EXTERNAL", 60),
                           member=member), ["INVALID"]),
        (merchant, request(100, portion("POINTS", 100, points=10), member=member),
         ["INVALID"]),
        (stranger, request(50, portion("POINTS", points=10), member=member), ["FORBIDDEN"]),
        (merchant, request(100, portion("STORED_VALUE", 100)), ["INVALID"]),
        (merchant, request(100, portion("STORED_VALUE", 100), member=new_id("mem")),
         ["NOT_FOUND"]),
        (merchant, request(100, portion("EXTERNAL", 100), order=new_id("ord")), ["NOT_FOUND"]),
        (merchant, request(100, portion("STORED_VALUE", 100), member=member,
                           purpose="TOP_UP"), ["INVALID"]),
        (merchant, request(None, portion("EXTERNAL", 100)), ["INVALID"]),
        (merchant, request(100), ["INVALID"]),
        (merchant, request(200, portion("EXTERNAL", 100), portion("EXTERNAL", 100)),
         ["INVALID"]),
    ]
    for index, (who, payment, expected) in enumerate(cases):
        result = await pay(db, who, payment)
        assert codes(result) == expected, (index, result)
        assert all(e["field"][0] == "input" for e in result["userErrors"])
    assert await balances(db, member) == (100, 1_000)
    assert await db[PAYMENTS].count_documents({}) == 0


async def test_a_replay_returns_the_first_result_and_takes_nothing_more(
        db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db)
    member = await member_with(db, merchant, stored_value=1_000)
    payment = request(300, portion("STORED_VALUE", 300), member=member)

    first = await pay(db, merchant, payment, key="same")
    second = await pay(db, merchant, payment, key="same")

    assert first == second and first["paymentId"]
    assert await balances(db, member) == (0, 700)


async def test_a_failing_outcome_handler_is_called_again_by_the_job(db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db)
    member = await member_with(db, merchant, stored_value=500)
    calls: list[str] = []

    async def flaky(_db: AsyncDatabase, outcome: object) -> None:
        calls.append(outcome.payment_id)
        if len(calls) == 1:
            raise ConnectionError("the orders database is away")

    on_payment_outcome("DEAL", flaky)
    try:
        result = await pay(db, merchant, request(200, portion("STORED_VALUE", 200),
                                                 member=member, purpose="DEAL"))
        payment_id = result["paymentId"]
        assert result["userErrors"] == [] and calls == [payment_id]
        assert await db[OPEN].find_one({"_id": payment_id}) is not None
        await db[OPEN].update_one({"_id": payment_id},
                                  {"$set": {"dueAt": utcnow() - timedelta(seconds=1)}})
        assert await work_open(db) == 1
    finally:
        remove_payment_outcome_handler("DEAL", flaky)
    assert calls == [payment_id, payment_id]
    assert await db[OPEN].find_one({"_id": payment_id}) is None
    assert (await db[PAYMENTS].find_one({"_id": payment_id}))["status"] == "SUCCEEDED"
