"""Payments racing at one wallet and refunds racing at one payment, on the real FerretDB
(whose updates are not atomic: every shared write here is a claimed one)."""

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import new_id
from schema.kernel.money import Money
from schema.payments.collections import PAYMENTS
from schema.payments.notifications import apply_outcome
from schema.payments.refunds import RefundRequest, refund_payment
from schema.wallet import WalletRefused, redeem
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

PAYERS = 100


async def test_100_concurrent_payments_never_overdraw_and_the_ledger_sums_to_the_balance(
        db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db, point_value=2)
    member = await member_with(db, merchant, stored_value=3_000, points=200)
    # each wants 100 fen of stored value and 10 points (worth 20): 30 and 20 can be paid
    results = await asyncio.gather(*(
        pay(db, merchant, request(120, portion("STORED_VALUE", 100), portion("POINTS", points=10),
                                  member=member))
        for _ in range(PAYERS)))

    paid = [r for r in results if r["userErrors"] == []]
    refused = [codes(r) for r in results if r["userErrors"]]
    assert len(paid) == 20
    assert all(c in (["INSUFFICIENT_POINTS"], ["INSUFFICIENT_BALANCE"]) for c in refused)
    points, value = await balances(db, member)
    assert (points, value) == (0, 3_000 - 20 * 100)
    assert await ledger_sums(db, member) == (points, value)
    statuses = [p["status"] async for p in db[PAYMENTS].find({"memberId": member})]
    assert statuses.count("SUCCEEDED") == 20


async def test_payments_and_redemptions_racing_at_one_wallet_never_overdraw(
        db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db, point_value=1)
    member = await member_with(db, merchant, stored_value=10_000, points=500)

    async def redemption() -> str:
        try:
            await redeem(db, member, new_id("opn"), merchant_id=merchant, points=10,
                         reference="race")
        except WalletRefused as refused:
            return str(refused.code)
        return "REDEEMED"

    payments = [pay(db, merchant, request(110, portion("STORED_VALUE", 100),
                                          portion("POINTS", points=10), member=member))
                for _ in range(PAYERS // 2)]
    outcomes = await asyncio.gather(*payments, *(redemption() for _ in range(PAYERS // 2)))

    paid = sum(1 for o in outcomes[:PAYERS // 2] if o["userErrors"] == [])
    redeemed = outcomes[PAYERS // 2:].count("REDEEMED")
    assert set(outcomes[PAYERS // 2:]) <= {"REDEEMED", "INSUFFICIENT_POINTS"}
    assert paid + redeemed == 50   # 500 points, 10 each
    assert await balances(db, member) == (0, 10_000 - 100 * paid)
    assert await ledger_sums(db, member) == (0, 10_000 - 100 * paid)


async def test_racing_refunds_never_exceed_the_payment(db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db, point_value=3)
    member = await member_with(db, merchant, stored_value=1_000, points=100)
    made = await pay(db, merchant, request(1_000, portion("STORED_VALUE", 700),
                                           portion("POINTS", points=100), member=member))
    payment = await db[PAYMENTS].find_one({"_id": made["paymentId"]})

    results = await asyncio.gather(*(
        refund_payment(db, payment, RefundRequest(payment["_id"], Money(70), None),
                       new_id("opn"))
        for _ in range(100)))

    done = [r for r in results if r["userErrors"] == []]
    assert len(done) == 1_000 // 70
    assert all(codes(r) == ["REFUND_EXCEEDS_PAYMENT"] for r in results if r["userErrors"])
    after = await db[PAYMENTS].find_one({"_id": payment["_id"]})
    assert after["amountRefunded"] == 70 * len(done)
    assert all(r["status"] == "SUCCEEDED" for r in after["refunds"])
    assert [e["topic"] for e in after.get("outbox", [])].count("payment.refunded") == len(done)
    # 980 refunded: stored value first (700 back), then 280 of the 300 in points = 93 points
    assert await balances(db, member) == (93, 300 + 700)
    assert await ledger_sums(db, member) == (93, 1_000)


async def test_refunds_go_external_first_then_stored_value_then_points(
        db: AsyncDatabase) -> None:
    merchant = await merchant_with_rule(db, point_value=3)
    member = await member_with(db, merchant, stored_value=500, points=100)
    made = await pay(db, merchant, request(1_100, portion("EXTERNAL", 300),
                                           portion("STORED_VALUE", 500),
                                           portion("POINTS", points=100), member=member))
    payment_id = made["paymentId"]
    await apply_outcome(db, await db[PAYMENTS].find_one({"_id": payment_id}), "SUCCEEDED")

    steps = []
    for amount in (200, 200, 500, 1, 199):
        payment = await db[PAYMENTS].find_one({"_id": payment_id})
        result = await refund_payment(db, payment, RefundRequest(payment_id, Money(amount),
                                                                 None), new_id("opn"))
        assert result["userErrors"] == []
        steps.append(await balances(db, member))
    payment = await db[PAYMENTS].find_one({"_id": payment_id})
    assert [r["split"] for r in payment["refunds"]] == [
        {"EXTERNAL": 200, "STORED_VALUE": 0, "POINTS": 0, "points": 0},
        {"EXTERNAL": 100, "STORED_VALUE": 100, "POINTS": 0, "points": 0},
        {"EXTERNAL": 0, "STORED_VALUE": 400, "POINTS": 100, "points": 33},
        {"EXTERNAL": 0, "STORED_VALUE": 0, "POINTS": 1, "points": 0},
        {"EXTERNAL": 0, "STORED_VALUE": 0, "POINTS": 199, "points": 67}]
    assert steps == [(0, 0), (0, 100), (33, 500), (33, 500), (100, 500)]
    assert payment["amountRefunded"] == 1_100
    assert await ledger_sums(db, member) == (100, 500)
    again = await refund_payment(db, payment, RefundRequest(payment_id, Money(1), None),
                                 new_id("opn"))
    assert codes(again) == ["REFUND_EXCEEDS_PAYMENT"]
