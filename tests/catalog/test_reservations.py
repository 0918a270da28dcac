"""Stock reservations for orders: no oversell under concurrency (in one process and across
two), all lines or none, idempotent release and commit, ERP counts keep the holds, and every
change in the partner's and the store's feeds."""

import asyncio
import os
import subprocess
import sys
import textwrap

import pytest

from schema.catalog.collections import CHANGES, INVENTORY, inventory_id
from schema.catalog.reservations import Line, Shortage, available_at, commit, release, reserve
from schema.catalog.schema import schema
from schema.kernel.time import to_iso, utcnow
from tests.catalog.test_sync import A, at, setup, sync
from tests.stores.helpers import data

FEED = """query($after: String, $storeId: ID) { inventoryChanges(after: $after, storeId: $storeId)
  { cursor hasMore changes { onHand reserved available product { sku } } } }"""


async def stocked(db, levels: dict[str, int]):
    """A store with products A, B, C at ``levels`` (a count each); returns (store, ids)."""
    store_id, ids = await setup(db)
    out = await sync(db, store_id, [{"sku": sku, "onHand": n, "occurredAt": at(1)}
                                    for sku, n in levels.items()])
    assert out["applied"] == len(levels)
    return store_id, ids


async def row(db, store_id: str, product_id: str) -> dict:
    return await db[INVENTORY].find_one({"_id": inventory_id(store_id, product_id)})


async def level(db, store_id: str, product_id: str) -> tuple[int, int]:
    found = await row(db, store_id, product_id)
    return found["onHand"], found["reserved"]


async def feed(db, after=None, store_id=None) -> tuple[list[dict], str]:
    """Every change after ``after`` as (sku, onHand, reserved, available); the new cursor."""
    seen = []
    while True:
        out = (await data(schema, db, FEED, A, after=after, storeId=store_id))["inventoryChanges"]
        seen += [(c["product"]["sku"], c["onHand"], c["reserved"], c["available"])
                 for c in out["changes"]]
        after = out["cursor"]
        if not out["hasMore"]:
            return seen, after


async def _orders_racing(db, store_id, product_id, names) -> tuple[list[str], list[int]]:
    """Reserve one unit for each order at once, while a reader watches the row; returns the
    orders that got a unit and every available level the reader saw."""
    seen: list[int] = []
    racing = True

    async def watch():
        while racing:
            on_hand, reserved = await level(db, store_id, product_id)
            seen.append(on_hand - reserved)
            await asyncio.sleep(0)

    async def order(name):
        try:
            await reserve(db, name, [Line(store_id, product_id, 1)])
            return name
        except Shortage as short:
            return None if (short.available, short.line.product_id) == (0, product_id) else short

    watcher = asyncio.create_task(watch())
    won = await asyncio.gather(*(order(n) for n in names))
    racing = False
    await watcher
    assert not [w for w in won if isinstance(w, Shortage)]
    return [n for n in won if n], seen


async def test_100_concurrent_orders_for_the_last_10_units_10_succeed(db):
    store_id, ids = await stocked(db, {"A": 10})
    won, seen = await _orders_racing(db, store_id, ids["A"], [f"ord{i}" for i in range(100)])
    assert len(won) == 10
    assert seen and min(seen) >= 0
    found = await row(db, store_id, ids["A"])
    assert (found["onHand"], found["reserved"]) == (10, 10)
    assert sorted(h["o"] for h in found["holds"]) == sorted(won)
    assert await available_at(db, [store_id, "sto_elsewhere"], ids["A"]) == [0, 0]


_WORKER = textwrap.dedent("""
    import asyncio, sys
    from schema.catalog.reservations import Line, Shortage, reserve
    from schema.kernel.mongo import Mongo

    async def main(uri, name, store_id, product_id, count):
        mongo = Mongo.open(uri, name)
        async def one(i):
            try:
                await reserve(mongo.db, f"other{i}", [Line(store_id, product_id, 1)])
                return 1
            except Shortage:
                return 0
        print(sum(await asyncio.gather(*(one(i) for i in range(int(count))))))
        await mongo.close()

    asyncio.run(main(*sys.argv[1:]))
""")


async def test_two_processes_racing_for_the_last_units_never_oversell(db, mongo):
    store_id, ids = await stocked(db, {"A": 10})
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _WORKER, mongo.uri, db.name, store_id, ids["A"], "40",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=os.getcwd())
    won, seen = await _orders_racing(db, store_id, ids["A"], [f"ord{i}" for i in range(40)])
    out, err = await other.communicate()
    assert other.returncode == 0, err.decode()
    assert len(won) + int(out) == 10
    assert min(seen) >= 0
    assert await level(db, store_id, ids["A"]) == (10, 10)


async def test_a_multi_line_order_holds_every_line_or_none(db):
    store_id, ids = await stocked(db, {"A": 5, "B": 1, "C": 3})
    first = [Line(store_id, ids["A"], 2), Line(store_id, ids["B"], 1), Line(store_id, ids["C"], 1)]
    await reserve(db, "ord1", first)
    with pytest.raises(Shortage) as short:
        await reserve(db, "ord2", [Line(store_id, ids["A"], 2), Line(store_id, ids["C"], 1),
                                   Line(store_id, ids["B"], 1)])
    assert (short.value.line, short.value.available) == (Line(store_id, ids["B"], 1), 0)
    assert [await level(db, store_id, ids[s]) for s in "ABC"] == [(5, 2), (1, 1), (3, 1)]
    holders = [[h["o"] for h in (await row(db, store_id, ids[s]))["holds"]] for s in "ABC"]
    assert holders == [["ord1"]] * 3
    with pytest.raises(Shortage) as unstocked:   # no row at all: nothing is available
        await reserve(db, "ord3", [Line(store_id, ids["A"], 1), Line("sto_none", ids["A"], 1)])
    assert unstocked.value.available == 0
    assert await level(db, store_id, ids["A"]) == (5, 2)
    await reserve(db, "ord2", [Line(store_id, ids["A"], 1), Line(store_id, ids["A"], 2)])
    assert await level(db, store_id, ids["A"]) == (5, 5)   # a failed order may be placed again


async def test_a_repeat_reserves_nothing_more_and_release_is_idempotent(db):
    store_id, ids = await stocked(db, {"A": 5, "B": 5})
    lines = [Line(store_id, ids["A"], 2), Line(store_id, ids["B"], 3)]
    await reserve(db, "ord1", lines)
    await reserve(db, "ord1", lines)
    assert [await level(db, store_id, ids[s]) for s in "AB"] == [(5, 2), (5, 3)]
    await reserve(db, "ord2", [Line(store_id, ids["A"], 1)])
    for _ in range(2):
        await release(db, "ord1", lines)
        assert [await level(db, store_id, ids[s]) for s in "AB"] == [(5, 1), (5, 0)]
    with pytest.raises(Shortage) as late:   # a late retry of the released order gets nothing
        await reserve(db, "ord1", lines)
    assert late.value.available == 0
    assert [await level(db, store_id, ids[s]) for s in "AB"] == [(5, 1), (5, 0)]
    with pytest.raises(ValueError):
        await reserve(db, "ord3", [Line(store_id, ids["A"], 0)])


async def test_commit_takes_the_held_units_off_once(db):
    store_id, ids = await stocked(db, {"A": 5, "B": 5})
    await reserve(db, "ord1", [Line(store_id, ids["A"], 2), Line(store_id, ids["B"], 1)])
    await reserve(db, "ord2", [Line(store_id, ids["A"], 1)])
    for _ in range(2):
        await commit(db, "ord1", [Line(store_id, ids["A"], 2), Line(store_id, ids["B"], 1)])
        assert [await level(db, store_id, ids[s]) for s in "AB"] == [(3, 1), (4, 0)]
    await release(db, "ord1", [Line(store_id, ids["A"], 2)])   # nothing held any more
    assert await level(db, store_id, ids["A"]) == (3, 1)
    await release(db, "ord2", [Line(store_id, ids["A"], 1)])
    await commit(db, "ord2", [Line(store_id, ids["A"], 1)])   # released first: nothing taken
    assert await level(db, store_id, ids["A"]) == (3, 0)
    assert await available_at(db, [store_id], ids["A"]) == [3]


async def test_an_erp_count_keeps_the_reservations(db):
    store_id, ids = await stocked(db, {"A": 10})
    await reserve(db, "ord1", [Line(store_id, ids["A"], 4)])
    await sync(db, store_id, [{"sku": "A", "onHand": 7, "occurredAt": at(2)}])
    assert await level(db, store_id, ids["A"]) == (7, 4)
    assert await available_at(db, [store_id], ids["A"]) == [3]
    await commit(db, "ord1", [Line(store_id, ids["A"], 4)])
    assert await level(db, store_id, ids["A"]) == (3, 0)
    # a count taken before the sale but arriving after it still has the sale taken off
    await sync(db, store_id, [{"sku": "A", "onHand": 6, "occurredAt": at(3)}])
    assert await level(db, store_id, ids["A"]) == (2, 0)
    await reserve(db, "ord2", [Line(store_id, ids["A"], 2)])
    _, cursor = await feed(db)
    await sync(db, store_id, [{"sku": "A", "onHand": 1, "occurredAt": to_iso(utcnow())}])
    # the stock shrank below what is held: the holds stay, nothing more is available
    assert await level(db, store_id, ids["A"]) == (1, 2)
    assert await available_at(db, [store_id], ids["A"]) == [0]
    assert (await feed(db, cursor))[0] == [("A", 1, 2, 0)]
    with pytest.raises(Shortage):
        await reserve(db, "ord3", [Line(store_id, ids["A"], 1)])


async def test_erp_counts_racing_with_orders_keep_every_hold(db):
    store_id, ids = await stocked(db, {"A": 100})
    counts = [sync(db, store_id, [{"sku": "A", "onHand": 100 + i, "occurredAt": at(2 + i)}])
              for i in range(5)]
    orders = [reserve(db, f"ord{i}", [Line(store_id, ids["A"], 1)]) for i in range(30)]
    await asyncio.gather(*counts, *orders)
    found = await row(db, store_id, ids["A"])
    assert (found["onHand"], found["reserved"], len(found["holds"])) == (104, 30, 30)


async def test_reservations_appear_in_the_partner_and_store_feeds(db):
    store_id, ids = await stocked(db, {"A": 5, "B": 5})
    _, cursor = await feed(db)
    _, store_cursor = await feed(db, store_id=store_id)
    await reserve(db, "ord1", [Line(store_id, ids["A"], 2), Line(store_id, ids["B"], 1)])
    changes, cursor = await feed(db, cursor)
    assert sorted(changes) == [("A", 5, 2, 3), ("B", 5, 1, 4)]
    assert sorted((await feed(db, store_cursor, store_id))[0]) == sorted(changes)
    with pytest.raises(Shortage):   # A held, then given back when B falls short
        await reserve(db, "ord2", [Line(store_id, ids["A"], 1), Line(store_id, ids["B"], 9)])
    changes, cursor = await feed(db, cursor)
    assert changes == [("A", 5, 2, 3)]
    await commit(db, "ord1", [Line(store_id, ids["A"], 2), Line(store_id, ids["B"], 1)])
    changes, cursor = await feed(db, cursor)
    assert sorted(changes) == [("A", 3, 0, 3), ("B", 4, 0, 4)]
    await commit(db, "ord1", [Line(store_id, ids["A"], 2)])   # a repeat changes nothing
    assert (await feed(db, cursor))[0] == []


async def _pages(db, feed_key: str) -> int:
    return await db[CHANGES].count_documents({"_id": {"$regex": f"^invpage:{feed_key}:"}})


async def test_concurrent_orders_are_all_in_the_feed_and_share_its_pages(db):
    store_id, ids = await stocked(db, {"A": 50, "B": 50})
    _, cursor = await feed(db)
    pages = await _pages(db, A.partner_id)
    await asyncio.gather(*(reserve(db, f"ord{i}", [Line(store_id, ids["AB"[i % 2]], 1)])
                           for i in range(40)))
    changes, _ = await feed(db, cursor)
    assert set(changes) == {("A", 50, 20, 30), ("B", 50, 20, 30)}
    assert 1 <= await _pages(db, A.partner_id) - pages < 40   # recorded in groups
