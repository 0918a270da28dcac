"""The payments demo data: mia's weeks of payments at the demo merchants, seeded twice
without change; each sandbox's succeeded and pending payments."""

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import new_id
from schema.membership.seed import DEMO_MEMBER_ID, MEMBERSHIP_SEED, WEEKS, sandbox_membership_seed
from schema.payments.collections import PAYMENTS
from schema.payments.providers import LIVE_ENV
from schema.payments.seed import (
    PAYMENTS_SEED,
    sandbox_paid_id,
    sandbox_payments_seed,
    sandbox_pending_id,
)
from tests.payments.helpers import balances, ledger_sums


async def test_the_demo_payments_are_seeded_once(db: AsyncDatabase) -> None:
    await MEMBERSHIP_SEED.apply(db, lambda _n: None)
    before = await balances(db, DEMO_MEMBER_ID)

    await PAYMENTS_SEED.apply(db, lambda _n: None)
    once = await db[PAYMENTS].find({}).sort("_id", 1).to_list()
    after = await balances(db, DEMO_MEMBER_ID)
    await PAYMENTS_SEED.apply(db, lambda _n: None)

    assert await db[PAYMENTS].find({}).sort("_id", 1).to_list() == once
    assert len(once) == 3 * WEEKS and {p["status"] for p in once} == {"SUCCEEDED"}
    assert sum(p["amountRefunded"] for p in once) == 400
    spent_value = sum(q["amount"] for p in once for q in p["portions"]
                      if q["method"] == "STORED_VALUE") - 400
    spent_points = sum(q["points"] or 0 for p in once for q in p["portions"])
    assert after == (before[0] - spent_points, before[1] - spent_value)
    assert await balances(db, DEMO_MEMBER_ID) == after
    assert await ledger_sums(db, DEMO_MEMBER_ID) == after


async def test_without_live_payments_the_external_ones_are_left_out(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LIVE_ENV)
    await MEMBERSHIP_SEED.apply(db, lambda _n: None)
    await PAYMENTS_SEED.apply(db, lambda _n: None)

    payments = await db[PAYMENTS].find({}).to_list()
    assert len(payments) == 2 * WEEKS
    assert all(q["method"] != "EXTERNAL" for p in payments for q in p["portions"])


async def test_a_sandbox_starts_with_a_paid_and_a_pending_payment(db: AsyncDatabase) -> None:
    partner = new_id("ptn")
    await sandbox_membership_seed(partner).apply(db, lambda _n: None)
    for _ in range(2):
        await sandbox_payments_seed(partner).apply(db, lambda _n: None)

    paid = await db[PAYMENTS].find_one({"_id": sandbox_paid_id(partner)})
    pending = await db[PAYMENTS].find_one({"_id": sandbox_pending_id(partner)})
    assert (paid["status"], pending["status"]) == ("SUCCEEDED", "REQUIRES_PAYMENT")
    assert pending["nextAction"]["provider"] == "sandbox"
    assert await db[PAYMENTS].count_documents({}) == 2
