"""Points expire by the sweep after the configured period; tiers follow the last 12 months'
earnings less their reversals."""

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import as_utc, utcnow
from schema.membership.expiry import POINTS_EXPIRY, expires_at_for, sweep_expiry
from schema.membership.tiers import THRESHOLDS_ENV, thresholds
from schema.wallet import WALLET, wallet_of
from tests.membership.helpers import data, earn, partner, redeem, register, reverse, set_rule

TIER = "query($id: ID!) { member(id: $id) { tier pointsBalance } }"


def test_expiry_dates_keep_the_day_of_month() -> None:
    assert expires_at_for(datetime(2026, 1, 31, 9, tzinfo=UTC), 1) == datetime(
        2026, 2, 28, 9, tzinfo=UTC)
    assert expires_at_for(datetime(2026, 12, 6, tzinfo=UTC), 24) == datetime(
        2028, 12, 6, tzinfo=UTC)


async def test_the_sweep_expires_due_lots_once(db: AsyncDatabase,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = partner()
    member_id = await register(db, merchant, "13800005050")
    await set_rule(db, merchant)
    monkeypatch.setenv("LOOPGATE_POINTS_EXPIRY_MONTHS", "1")
    earned = await earn(db, merchant, member_id, 4_000)
    monkeypatch.setenv("LOOPGATE_POINTS_EXPIRY_MONTHS", "2")
    await earn(db, merchant, member_id, 1_000)
    await redeem(db, merchant, member_id, 5)
    lots = (await wallet_of(db, member_id)).lots
    first_due = min(lot.expires_at for lot in lots)
    assert await sweep_expiry(db) == 0
    assert await sweep_expiry(db, now=first_due) == 0            # due today: swept tomorrow
    day_after = first_due + timedelta(days=1)
    assert await sweep_expiry(db, now=day_after) == 1
    assert await sweep_expiry(db, now=day_after) == 0
    wallet = await wallet_of(db, member_id)
    assert wallet.points == 10                                  # the 2-month lot is left
    entries = await db[WALLET.entries].find({"account": member_id}).sort("seq", 1).to_list()
    assert [(e["type"], e["points"]) for e in entries] == [
        ("EARN", 40), ("EARN", 10), ("REDEEM", -5), ("EXPIRE", -35)]
    assert entries[-1]["merchantId"] == merchant.partner_id
    assert sum(e["points"] for e in entries) == wallet.points
    later = max(as_utc(e["expiresAt"]) for e in entries if e["type"] == "EARN")
    assert await sweep_expiry(db, now=later + timedelta(days=1)) == 1
    assert (await wallet_of(db, member_id)).points == 0
    assert earned["entry"]["id"] == entries[0]["_id"]
    assert await db[POINTS_EXPIRY].count_documents({"_id": {"$ne": "expiry-cursor"}}) == 0


def test_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THRESHOLDS_ENV, "10:20:30")
    assert thresholds() == (10, 20, 30)
    monkeypatch.setenv(THRESHOLDS_ENV, "30:20:10")
    with pytest.raises(ValueError, match=THRESHOLDS_ENV):
        thresholds()


async def test_tiers_follow_earnings_of_the_last_year(db: AsyncDatabase,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THRESHOLDS_ENV, "10:20:30")
    merchant = partner()
    member_id = await register(db, merchant, "13800005151")
    await set_rule(db, merchant)

    async def tier() -> str:
        return (await data(db, TIER, merchant, id=member_id))["member"]["tier"]

    assert await tier() == "STANDARD"
    old = await earn(db, merchant, member_id, 2_500)
    assert await tier() == "GOLD"
    await earn(db, merchant, member_id, 1_200)   # also posts the first entry for good
    assert await tier() == "PLATINUM"
    await db[WALLET.entries].update_one({"_id": old["entry"]["id"]}, {"$set": {
        "createdAt": utcnow() - timedelta(days=400)}})
    assert await tier() == "SILVER"                              # 25 are older than a year
    await redeem(db, merchant, member_id, 30)
    assert await tier() == "SILVER"                              # spending keeps the tier
    big = await earn(db, merchant, member_id, 3_000)
    assert await tier() == "PLATINUM"
    assert (await reverse(db, merchant, big["entry"]["id"]))["userErrors"] == []
    assert await tier() == "SILVER"                              # a reversed earning
