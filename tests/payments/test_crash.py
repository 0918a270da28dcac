"""A crash between taking the balance portions and the external result (simulated: the step
after the take raises, as a dying process would stop there), then a retry with the same
idempotency key, or no retry at all: nothing is taken twice, nothing is lost."""

from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import utcnow
from schema.payments import lifecycle
from schema.payments.collections import OPEN, PAYMENTS
from schema.payments.jobs import work_open
from schema.payments.providers import SandboxProvider
from tests.payments.helpers import (
    balances,
    ledger_sums,
    member_with,
    merchant_with_rule,
    pay,
    portion,
    request,
)


class Crash(Exception):
    """The process died here."""


def crash_once(monkeypatch: pytest.MonkeyPatch, owner: object, name: str,
               when: object = None) -> list[int]:
    """Make ``owner.name`` raise :class:`Crash` on its first call (matching ``when``)."""
    real = getattr(owner, name)
    calls: list[int] = []

    async def dying(*args: object, **kwargs: object) -> object:
        if not calls and (when is None or when in args):
            calls.append(1)
            raise Crash(name)
        return await real(*args, **kwargs)

    monkeypatch.setattr(owner, name, dying)
    return calls


async def _past_due(db: AsyncDatabase, payment_id: str) -> None:
    await db[OPEN].update_one({"_id": payment_id},
                              {"$set": {"dueAt": utcnow() - timedelta(seconds=1)}})


async def test_a_crash_after_the_take_then_a_retry_completes_the_same_payment(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = await merchant_with_rule(db, point_value=2)
    member = await member_with(db, merchant, stored_value=1_000, points=50)
    crashed = crash_once(monkeypatch, SandboxProvider, "start")
    payment = request(1_300, portion("STORED_VALUE", 600), portion("POINTS", points=50),
                      portion("EXTERNAL", 600), member=member)

    with pytest.raises(Crash):
        await pay(db, merchant, payment, key="k1")
    assert crashed and await balances(db, member) == (0, 400)   # taken before the crash
    retried = await pay(db, merchant, payment, key="k1")
    replayed = await pay(db, merchant, payment, key="k1")

    assert retried["userErrors"] == [] and replayed == retried
    assert await db[PAYMENTS].count_documents({}) == 1
    found = await db[PAYMENTS].find_one({"_id": retried["paymentId"]})
    assert found["status"] == "REQUIRES_PAYMENT" and found["nextAction"]["qrPayload"]
    assert await balances(db, member) == (0, 400)
    assert await ledger_sums(db, member) == (0, 400)


async def test_a_crash_after_the_take_without_a_retry_is_canceled_and_given_back(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = await merchant_with_rule(db)
    member = await member_with(db, merchant, stored_value=1_000)
    crash_once(monkeypatch, SandboxProvider, "start")

    with pytest.raises(Crash):
        await pay(db, merchant, request(900, portion("STORED_VALUE", 700),
                                        portion("EXTERNAL", 200), member=member), key="k2")
    payment = await db[PAYMENTS].find_one({})
    assert payment["status"] == "REQUIRES_PAYMENT" and payment["nextAction"] is None
    await _past_due(db, payment["_id"])
    assert await work_open(db) == 1
    assert await work_open(db) == 0

    assert (await db[PAYMENTS].find_one({}))["status"] == "CANCELED"
    assert await balances(db, member) == (0, 1_000)
    assert await ledger_sums(db, member) == (0, 1_000)


async def test_a_balance_payment_that_crashed_before_succeeding_is_completed_once(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    merchant = await merchant_with_rule(db)
    member = await member_with(db, merchant, stored_value=1_000)
    crash_once(monkeypatch, lifecycle, "advance", when="SUCCEEDED")
    payment = request(250, portion("STORED_VALUE", 250), member=member)

    with pytest.raises(Crash):
        await pay(db, merchant, payment, key="k3")
    found = await db[PAYMENTS].find_one({})
    assert found["status"] == "PROCESSING"
    await _past_due(db, found["_id"])
    assert await work_open(db) == 1            # the job completes it
    retried = await pay(db, merchant, payment, key="k3")   # and a late retry reports it

    assert retried == {"paymentId": found["_id"], "userErrors": []}
    assert (await db[PAYMENTS].find_one({}))["status"] == "SUCCEEDED"
    assert await balances(db, member) == (0, 750)
    assert await ledger_sums(db, member) == (0, 750)
