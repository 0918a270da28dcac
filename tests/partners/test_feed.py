"""The partner event feed and the kernel's sequenced feeds under it: every event reaches its
partner's feed, in order, and a reader following the cursor never skips one, even while
writers finish out of order (safe watermark)."""

import asyncio
import random

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.feed import MAX_FIRST, BadFeedRequest, partner_events
from schema.kernel import feeds
from schema.kernel.events import ALL_EVENTS_FEED
from tests.partners.webhooks.helpers import emit, relay_all

PARTNER = "ptn_01JTESTPARTNER000000000000"
OTHER = "ptn_01JOTHERPARTNER0000000000"


async def test_a_reader_following_the_cursor_never_skips_with_concurrent_writers(
        db: AsyncDatabase) -> None:
    written: list[str] = []
    read: list[dict] = []
    done = asyncio.Event()

    async def writer(w: int) -> None:
        for batch in range(8):
            entries = [{"_id": f"w{w}-{batch}-{i}"} for i in range(random.randint(1, 130))]
            await asyncio.sleep(random.uniform(0, 0.02))
            await feeds.append(db, "test", entries)
            written.extend(e["_id"] for e in entries)

    async def reader() -> None:
        after = 0
        while True:
            finished = done.is_set()
            page = await feeds.read(db, "test", after, 50)
            assert all(after < e["seq"] <= page.cursor for e in page.entries)
            read.extend(page.entries)
            after = page.cursor
            if finished and not page.more:
                return
            if not page.more:
                await asyncio.sleep(0.01)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(6)))
    done.set()
    await reading
    assert sorted(e["_id"] for e in read) == sorted(written)
    numbers = [e["seq"] for e in read]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


async def test_an_unfinished_write_holds_the_watermark_until_its_lease_runs_out(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    await feeds.append(db, "held", [{"_id": "a"}])
    stalled = await feeds.take_lease(db, "held", 1)   # a writer that has not written yet
    await feeds.append(db, "held", [{"_id": "b"}])
    page = await feeds.read(db, "held", 0, 10)
    assert [e["_id"] for e in page.entries] == ["a"]
    assert await feeds.watermark(db, "held") == stalled.low - 1
    monkeypatch.setattr(feeds, "LEASE_TTL", feeds.LEASE_TTL * 0)   # its writer died
    later = await feeds.read(db, "held", page.cursor, 10)
    assert [e["_id"] for e in later.entries] == ["b"]


async def test_a_write_too_late_for_its_lease_writes_nothing(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feeds, "WRITE_WITHIN", feeds.WRITE_WITHIN * -1)
    with pytest.raises(feeds.FeedWriteTooLate):
        await feeds.append(db, "late", [{"_id": "x"}])
    monkeypatch.undo()
    await feeds.append(db, "late", [{"_id": "y"}])
    page = await feeds.read(db, "late", 0, 10)
    assert [e["_id"] for e in page.entries] == ["y"] and not page.more


async def test_every_event_reaches_its_partners_feed_in_order_with_topics_and_pages(
        db: AsyncDatabase) -> None:
    for n in range(7):
        await emit(db, PARTNER, f"thing-{n % 3}",
                   topic="order.created" if n % 2 else "order.status_changed")
        await emit(db, OTHER, f"other-{n}")
        if n % 3 == 0:
            await relay_all(db)
    await relay_all(db)
    seen, since = [], None
    while True:
        page = await partner_events(db, PARTNER, since, first=2)
        seen.extend(page.events)
        since = page.cursor
        if not page.has_more:
            break
    assert len(seen) == 7 and {e["partnerId"] for e in seen} == {PARTNER}
    per_resource: dict[str, list[int]] = {}
    for event in seen:
        per_resource.setdefault(event["resource"]["id"], []).append(event["sequence"])
    assert all(s == sorted(s) for s in per_resource.values())
    created = await partner_events(db, PARTNER, topics=["order.created"], first=MAX_FIRST)
    assert [e["_id"] for e in created.events] == [e["_id"] for e in seen
                                                  if e["topic"] == "order.created"]
    assert (await partner_events(db, PARTNER, since)).events == []
    await emit(db, PARTNER, "thing-9")
    await relay_all(db)
    assert [e["resource"]["id"] for e in (await partner_events(db, PARTNER, since)).events] \
        == ["thing-9"]
    everything = await feeds.read(db, ALL_EVENTS_FEED, 0, 100)
    assert len(everything.entries) == 15


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"first": 0}, "first must be"), ({"first": MAX_FIRST + 1}, "first must be"),
    ({"topics": ["order.exploded"]}, "unknown topics"), ({"since": "nonsense!"}, "cursor"),
    ({"since": feeds.encode_cursor(5)[:-2]}, "cursor"),
])
async def test_bad_feed_requests_are_refused(db: AsyncDatabase, kwargs: dict,
                                             message: str) -> None:
    with pytest.raises(BadFeedRequest, match=message):
        await partner_events(db, PARTNER, **kwargs)
