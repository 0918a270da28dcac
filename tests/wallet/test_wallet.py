"""The member wallet on the real FerretDB: FIFO lots, both-or-neither takes, exact give-backs."""

import asyncio
from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import utcnow
from schema.wallet import (
    WALLET,
    WalletRefused,
    credit,
    earn,
    expire_due,
    give_back,
    points_history,
    redeem,
    refund_to_wallet,
    reverse,
    settlement_movements,
    stored_value_history,
    take,
    wallet_of,
)

MEMBER = "mem_01JDEMO0000000000000000000"
A, B = "ptn_A", "ptn_B"
LATER = timedelta(days=700)


async def _earn(db: AsyncDatabase, op: str, merchant: str, points: int) -> str:
    applied = await earn(db, MEMBER, op, merchant_id=merchant, points=points, reference=None,
                         expires_at=utcnow() + LATER)
    return applied.entries[0]["_id"]


async def _points_sum(db: AsyncDatabase) -> int:
    entries, _ = await points_history(db, MEMBER, merchant_id=None, first=1000, before_seq=None)
    return sum(e["points"] for e in entries)


async def test_redemptions_spend_the_oldest_lots_first(db: AsyncDatabase) -> None:
    await _earn(db, "opn_1", A, 30)
    await _earn(db, "opn_2", B, 50)
    applied = await redeem(db, MEMBER, "opn_3", merchant_id=B, points=40, reference="r")
    assert [(p["issuer"], p["points"]) for p in applied.entries[0]["spent"]] == [(A, 30),
                                                                                (B, 10)]
    wallet = await wallet_of(db, MEMBER)
    assert wallet.points == 40 == await _points_sum(db)
    assert applied.entries[0]["balanceAfter"] == 40


async def test_a_redemption_above_the_balance_is_refused_and_changes_nothing(
        db: AsyncDatabase) -> None:
    await _earn(db, "opn_1", A, 10)
    with pytest.raises(WalletRefused) as refused:
        await redeem(db, MEMBER, "opn_2", merchant_id=A, points=11, reference=None)
    assert refused.value.code == "INSUFFICIENT_POINTS"
    assert (await wallet_of(db, MEMBER)).points == 10


async def test_a_take_is_both_portions_or_neither(db: AsyncDatabase) -> None:
    await _earn(db, "opn_1", A, 100)
    await credit(db, MEMBER, "opn_2", amount=500, kind="TOP_UP", reference="pay_x")
    with pytest.raises(WalletRefused) as refused:
        await take(db, MEMBER, "opn_3", merchant_id=B, points=50, stored_value=501,
                   reference="pay_y")
    assert refused.value.code == "INSUFFICIENT_BALANCE"
    wallet = await wallet_of(db, MEMBER)
    assert (wallet.points, wallet.stored_value) == (100, 500)
    await take(db, MEMBER, "opn_4", merchant_id=B, points=50, stored_value=200,
               reference="pay_z")
    wallet = await wallet_of(db, MEMBER)
    assert (wallet.points, wallet.stored_value) == (50, 300)


async def test_concurrent_takes_never_drive_the_balance_negative(db: AsyncDatabase) -> None:
    await credit(db, MEMBER, "opn_fund", amount=1000, kind="TOP_UP", reference="pay_f")

    async def pay(i: int) -> bool:
        try:
            await take(db, MEMBER, f"opn_p{i}", merchant_id=A, points=0, stored_value=30,
                       reference=f"pay_{i}")
            return True
        except WalletRefused:
            return False

    paid = await asyncio.gather(*(pay(i) for i in range(100)))
    wallet = await wallet_of(db, MEMBER)
    assert sum(paid) == 33 and wallet.stored_value == 10
    entries, _ = await stored_value_history(db, MEMBER, first=1000, before_seq=None)
    assert sum(e["amount"] for e in entries) == wallet.stored_value


async def test_give_back_restores_exactly_what_was_taken_once(db: AsyncDatabase) -> None:
    await _earn(db, "opn_1", A, 60)
    await credit(db, MEMBER, "opn_2", amount=100, kind="TOP_UP", reference="pay_t")
    await take(db, MEMBER, "opn_take", merchant_id=B, points=40, stored_value=70,
               reference="pay_1")
    first = await give_back(db, MEMBER, "opn_back", taken_operation_id="opn_take")
    again = await give_back(db, MEMBER, "opn_back2", taken_operation_id="opn_take")
    assert first.entries and not again.entries
    wallet = await wallet_of(db, MEMBER)
    assert (wallet.points, wallet.stored_value) == (60, 100)
    assert [lot.points for lot in wallet.lots] == [60]
    nothing = await give_back(db, MEMBER, "opn_none", taken_operation_id="opn_never")
    assert nothing.entries == []


async def test_refunds_never_give_back_more_than_the_take(db: AsyncDatabase) -> None:
    await _earn(db, "opn_1", A, 50)
    await credit(db, MEMBER, "opn_2", amount=100, kind="TOP_UP", reference="pay_t")
    await take(db, MEMBER, "opn_take", merchant_id=B, points=50, stored_value=100,
               reference="pay_1")
    await refund_to_wallet(db, MEMBER, "opn_r1", taken_operation_id="opn_take",
                           stored_value=60, points=20, reference="ref_1")
    with pytest.raises(WalletRefused) as refused:
        await refund_to_wallet(db, MEMBER, "opn_r2", taken_operation_id="opn_take",
                               stored_value=41, points=0, reference="ref_2")
    assert refused.value.code == "REFUND_EXCEEDS_PAYMENT"
    with pytest.raises(WalletRefused):
        await refund_to_wallet(db, MEMBER, "opn_r3", taken_operation_id="opn_take",
                               stored_value=0, points=31, reference="ref_3")
    back = await give_back(db, MEMBER, "opn_back", taken_operation_id="opn_take")
    assert sorted((e["type"], e.get("amount", e.get("points"))) for e in back.entries) == [
        ("REFUND", 40), ("REVERSE", 30)]
    wallet = await wallet_of(db, MEMBER)
    assert (wallet.points, wallet.stored_value) == (50, 100)


async def test_reversals_happen_once_and_never_go_negative(db: AsyncDatabase) -> None:
    earned = await _earn(db, "opn_1", A, 30)
    redeemed = (await redeem(db, MEMBER, "opn_2", merchant_id=B, points=20,
                             reference=None)).entries[0]["_id"]
    with pytest.raises(WalletRefused) as negative:
        await reverse(db, MEMBER, "opn_3", entry_id=earned, merchant_id=A)
    assert negative.value.code == "INSUFFICIENT_POINTS"
    with pytest.raises(WalletRefused) as foreign:
        await reverse(db, MEMBER, "opn_4", entry_id=redeemed, merchant_id=A)
    assert foreign.value.code == "NOT_FOUND"
    await reverse(db, MEMBER, "opn_5", entry_id=redeemed, merchant_id=B)
    with pytest.raises(WalletRefused) as twice:
        await reverse(db, MEMBER, "opn_6", entry_id=redeemed, merchant_id=B)
    assert twice.value.code == "CONFLICT"
    await reverse(db, MEMBER, "opn_7", entry_id=earned, merchant_id=A)
    assert (await wallet_of(db, MEMBER)).points == 0 == await _points_sum(db)


async def test_expired_lots_are_not_spendable_and_expire_as_entries(db: AsyncDatabase) -> None:
    await earn(db, MEMBER, "opn_old", merchant_id=A, points=10, reference=None,
               expires_at=utcnow() - timedelta(seconds=1))
    await _earn(db, "opn_new", B, 5)
    with pytest.raises(WalletRefused):
        await redeem(db, MEMBER, "opn_r", merchant_id=B, points=6, reference=None)
    expired = await expire_due(db, MEMBER, "opn_sweep", now=utcnow())
    assert [(e["type"], e["points"], e["balanceAfter"]) for e in expired.entries] == [
        ("EXPIRE", -10, 5)]
    assert (await wallet_of(db, MEMBER)).points == 5 == await _points_sum(db)


async def test_settlement_movements_are_redemptions_minus_reversals(db: AsyncDatabase) -> None:
    start = utcnow()
    await _earn(db, "opn_1", A, 100)
    first = await redeem(db, MEMBER, "opn_2", merchant_id=B, points=30, reference=None)
    await redeem(db, MEMBER, "opn_3", merchant_id=B, points=20, reference=None)
    await reverse(db, MEMBER, "opn_4", entry_id=first.entries[0]["_id"], merchant_id=B)
    await take(db, MEMBER, "opn_5", merchant_id=B, points=10, stored_value=0, reference="p")
    await refund_to_wallet(db, MEMBER, "opn_6", taken_operation_id="opn_5", stored_value=0,
                           points=4, reference="r")
    moves = await settlement_movements(db, start, utcnow() + timedelta(seconds=1))
    assert sum(m["points"] for m in moves if (m["issuer"], m["redeemer"]) == (A, B)) == 26
    assert await db[WALLET.entries].count_documents({}) == 6


async def test_refusals_name_no_balance(db: AsyncDatabase) -> None:
    """A merchant taking a payment is not shown the member's balances, not even in errors."""
    await _earn(db, "opn_1", A, 737)
    await credit(db, MEMBER, "opn_2", amount=4_321, kind="TOP_UP", reference="pay_t")
    for points, value in ((738, 0), (0, 4_322)):
        with pytest.raises(WalletRefused) as refused:
            await take(db, MEMBER, f"opn_{points}_{value}", merchant_id=B, points=points,
                       stored_value=value, reference="pay_x")
        assert "737" not in refused.value.message and "4321" not in refused.value.message
