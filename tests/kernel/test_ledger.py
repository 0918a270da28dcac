"""The kernel ledger: claimed accounts, operations applied once, entries with running totals."""

import asyncio
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.events import OUTBOX
from schema.kernel.ledger import Change, Event, Ledger, entry_id

COINS = Ledger("coins")
Document = dict[str, Any]


class Short(Exception):
    pass


def add(amount: int) -> Any:
    def decide(state: Document) -> Change:
        balance = state.get("balance", 0) + amount
        if balance < 0:
            raise Short
        return Change({"balance": balance}, [{"amount": amount, "balanceAfter": balance}])
    return decide


async def test_an_operation_applies_once_and_a_repeat_returns_its_entries(
        db: AsyncDatabase) -> None:
    first = await COINS.apply(db, "acct", "opn_a", add(5))
    again = await COINS.apply(db, "acct", "opn_a", add(5))
    assert not first.repeated and again.repeated
    assert [e["_id"] for e in again.entries] == [entry_id("opn_a", 0)]
    assert (await COINS.state(db, "acct")) == {"balance": 5}


async def test_an_operation_is_known_after_it_left_the_recent_window(db: AsyncDatabase) -> None:
    await COINS.apply(db, "acct", "opn_old", add(1))
    account = await db[COINS.accounts].find_one({"_id": "acct"})
    assert account is not None
    await db[COINS.accounts].update_one({"_id": "acct"}, {"$set": {"ops": []}})
    await COINS.apply(db, "acct", "opn_next", add(1))
    repeat = await COINS.apply(db, "acct", "opn_old", add(1))
    assert repeat.repeated and repeat.entries[0]["amount"] == 1
    assert (await COINS.state(db, "acct"))["balance"] == 2


async def test_a_refusal_writes_nothing(db: AsyncDatabase) -> None:
    await COINS.apply(db, "acct", "opn_1", add(3))
    with pytest.raises(Short):
        await COINS.apply(db, "acct", "opn_2", add(-4))
    assert (await COINS.state(db, "acct"))["balance"] == 3
    entries, more = await COINS.history(db, "acct", first=10)
    assert [e["amount"] for e in entries] == [3] and not more


async def test_concurrent_takers_never_overdraw_and_entries_sum_to_the_balance(
        db: AsyncDatabase) -> None:
    await COINS.apply(db, "acct", "opn_fund", add(50))

    async def take(i: int) -> bool:
        try:
            await COINS.apply(db, "acct", f"opn_take{i}", add(-1))
            return True
        except Short:
            return False

    taken = await asyncio.gather(*(take(i) for i in range(80)))
    assert sum(taken) == 50
    entries, _ = await COINS.history(db, "acct", first=200)
    assert sum(e["amount"] for e in entries) == (await COINS.state(db, "acct"))["balance"] == 0
    assert sorted(e["seq"] for e in entries) == list(range(1, 52))
    by_seq = sorted(entries, key=lambda e: e["seq"])
    running = 0
    for entry in by_seq:
        running += entry["amount"]
        assert entry["balanceAfter"] == running


async def test_entries_left_unposted_by_a_dead_writer_are_read_and_posted_later(
        db: AsyncDatabase) -> None:
    await COINS.apply(db, "acct", "opn_1", add(2))
    await db[COINS.entries].delete_many({})
    entries, _ = await COINS.history(db, "acct", first=5)
    assert [e["amount"] for e in entries] == [2]
    assert await COINS.post_pending(db) == 1
    assert await db[COINS.entries].count_documents({}) == 1
    await COINS.apply(db, "acct", "opn_2", add(1))
    account = await db[COINS.accounts].find_one({"_id": "acct"})
    assert account is not None and [e["amount"] for e in account["unposted"]] == [1]


async def test_history_pages_newest_first_and_filters(db: AsyncDatabase) -> None:
    for i in range(5):
        await COINS.apply(db, "acct", f"opn_{i}", lambda s, i=i: Change(
            {"n": i}, [{"amount": i, "kind": "even" if i % 2 == 0 else "odd"}]))
    page, more = await COINS.history(db, "acct", first=2)
    assert [e["amount"] for e in page] == [4, 3] and more
    rest, more = await COINS.history(db, "acct", first=10, before_seq=page[-1]["seq"])
    assert [e["amount"] for e in rest] == [2, 1, 0] and not more
    even, _ = await COINS.history(db, "acct", match={"kind": "even"}, first=10)
    assert [e["amount"] for e in even] == [4, 2, 0]


async def test_events_go_into_the_account_outbox_with_the_change(db: AsyncDatabase) -> None:
    def decide(state: Document) -> Change:
        return Change({"balance": 1}, [{"amount": 1}],
                      [Event("points.earned", "ptn_x", "Member", "acct", {"points": 1})])

    await COINS.apply(db, "acct", "opn_e", decide)
    account = await db[COINS.accounts].find_one({"_id": "acct"})
    assert account is not None
    assert [e["topic"] for e in account[OUTBOX]] == ["points.earned"]
    assert account[OUTBOX][0]["sequence"] == 1
