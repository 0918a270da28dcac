"""Claimed counters on the real FerretDB, where ``$inc`` loses concurrent increments
(tests/kernel/test_ferretdb_quirks.py): exact totals, floors and named (idempotent) adds."""

import asyncio

from schema.kernel.counters import COUNTERS, RECENT_OPS, Counter

HITS = Counter("hits")


async def test_concurrent_adds_all_count(db):
    results = await asyncio.gather(*(HITS.add(db, "page", 1) for _ in range(30)))
    assert await HITS.value(db, "page") == 30
    assert sorted(results) == list(range(1, 31))   # every add saw its own new value


async def test_adds_of_several_sizes_and_signs_sum_exactly(db):
    deltas = [5, -2, 7, -1, 3, 10, -4, 1] * 3
    await asyncio.gather(*(HITS.add(db, "mixed", d) for d in deltas))
    assert await HITS.value(db, "mixed") == sum(deltas)


async def test_a_floor_refuses_what_would_go_below_it_and_writes_nothing(db):
    stock = Counter("stock")
    assert await stock.add(db, "deal", 5) == 5
    taken = await asyncio.gather(*(stock.add(db, "deal", -1, floor=0) for _ in range(12)))
    assert sorted(t for t in taken if t is not None) == [0, 1, 2, 3, 4]
    assert taken.count(None) == 7
    assert await stock.value(db, "deal") == 0
    assert await stock.add(db, "deal", -1, floor=0) is None
    assert await stock.value(db, "deal") == 0


async def test_a_named_add_repeated_concurrently_counts_once(db):
    await HITS.add(db, "k", 1, op="first")
    repeats = await asyncio.gather(*(HITS.add(db, "k", 5, op="op-1") for _ in range(8)))
    assert await HITS.value(db, "k") == 6
    assert set(repeats) == {6}
    assert await HITS.add(db, "k", 5, op="first") == 6   # an older name is remembered too


async def test_named_adds_are_remembered_for_the_last_recent_ops(db):
    for i in range(RECENT_OPS):
        await HITS.add(db, "w", 1, op=f"op-{i}")
    assert await HITS.add(db, "w", 1, op="op-0") == RECENT_OPS       # still remembered
    await HITS.add(db, "w", 1, op="one-more")
    assert await HITS.add(db, "w", 1, op="op-0") == RECENT_OPS + 2   # forgotten: counted
    stored = await db[COUNTERS].find_one({"_id": HITS.document_id("w")})
    assert len(stored["ops"]) == RECENT_OPS


async def test_missing_counters_are_zero_and_keys_are_separate(db):
    await HITS.add(db, "a", 2)
    await Counter("other").add(db, "a", 9)
    assert await HITS.values(db, ["a", "b"]) == [2, 0]
    assert await HITS.value(db, "nothing") == 0


async def test_a_repeat_of_an_applied_add_is_not_refused_by_the_floor(db) -> None:
    stock = Counter("repeat-floor")
    await stock.add(db, "d", 1)
    assert await stock.add(db, "d", -1, floor=0, op="hold:1") == 0
    assert await stock.add(db, "d", -1, floor=0, op="hold:1") == 0   # a retry: held already
    assert await stock.add(db, "d", -1, floor=0, op="hold:2") is None
