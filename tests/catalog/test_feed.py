"""The change feed's pages and watermark: order, cursors inside a page, late writers, and
writers that never finished."""

from datetime import timedelta

import pytest

from schema.catalog import feed
from schema.catalog.collections import LEASES
from schema.kernel.time import utcnow

P = "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA"


def _entries(lease: feed.Lease, count: int, store: str = "sto_1") -> list[dict]:
    return [{"seq": lease.low + i, "storeId": store, "rowId": f"row{lease.low + i}"}
            for i in range(count)]


async def _read_all(db, after: int, limit: int) -> tuple[list[int], int]:
    seen: list[int] = []
    while True:
        found, after, more = await feed.read_changes(db, P, after, limit)
        seen += [e["seq"] for e in found]
        if not more:
            return seen, after


async def test_leases_are_whole_blocks_and_readers_wait_for_late_writers(db):
    early = await feed.take_lease(db, P, 3)
    late = await feed.take_lease(db, P, feed.BLOCK + 1)
    assert (early.low, early.size) == (1, feed.BLOCK)
    assert (late.low, late.size) == (feed.BLOCK + 1, 2 * feed.BLOCK)
    await feed.record_changes(db, late, _entries(late, feed.BLOCK + 1))
    await feed.release(db, late)
    assert await feed.read_changes(db, P, 0, 1000) == ([], 0, False)  # early still writing
    await feed.record_changes(db, early, _entries(early, 3))
    await feed.release(db, early)
    seen, cursor = await _read_all(db, 0, 1000)
    assert seen == [1, 2, 3, *range(feed.BLOCK + 1, 2 * feed.BLOCK + 2)]
    assert cursor == 3 * feed.BLOCK


async def test_a_cursor_inside_a_page_neither_repeats_nor_skips(db):
    lease = await feed.take_lease(db, P, 40)
    await feed.record_changes(db, lease, [e for e in _entries(lease, 40) if e["seq"] % 3])
    await feed.release(db, lease)
    seen, _ = await _read_all(db, 0, 7)
    assert seen == [s for s in range(1, 41) if s % 3]


async def test_an_abandoned_lease_stops_readers_until_it_expires_then_is_skipped(db):
    crashed = await feed.take_lease(db, P, 10)
    after = await feed.take_lease(db, P, 10)
    await feed.record_changes(db, after, _entries(after, 10))
    await feed.release(db, after)
    assert (await feed.read_changes(db, P, 0, 100))[0] == []
    await db[LEASES].update_many({}, {"$set": {"at": utcnow() - feed.LEASE_TTL
                                               - timedelta(seconds=1)}})
    seen, _ = await _read_all(db, 0, 100)
    assert seen == list(range(after.low, after.low + 10))
    assert crashed.low == 1


async def test_a_change_outside_the_lease_is_refused(db):
    lease = await feed.take_lease(db, P, 1)
    bad = [{"seq": lease.low + lease.size, "storeId": "s", "rowId": "r"}]
    with pytest.raises(ValueError, match="outside the lease"):
        await feed.record_changes(db, lease, bad)
