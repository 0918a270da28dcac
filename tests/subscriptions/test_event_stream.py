"""The event-store side of subscriptions (:mod:`schema.kernel.subscriptions`) on the real
FerretDB: finding an event's place in a partner feed by its id, resuming right after it,
at-least-once when its page is gone, and refusing ids the partner never received."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from graphql import GraphQLError
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel import feed_watch, feeds
from schema.kernel.events import EVENTS, feed_events, make_event, partner_feed
from schema.kernel.ids import new_id
from schema.kernel.subscriptions import EVENT_TAP, EventTap, follow, record, start_position
from schema.kernel.time import utcnow


async def written(db: AsyncDatabase, partner: str, count: int, *,
                  also_for: tuple[str, ...] = ()) -> list[dict]:
    """``count`` events of ``partner``, each relayed in a round of its own (a block each)."""
    events = []
    for n in range(count):
        event = make_event("order.status_changed", partner, "Order", f"ord_{n}", n + 1,
                           {"n": n}, also_for=also_for)
        await db[EVENTS].insert_one(event)
        await feed_events(db, [event])
        events.append(event)
    return events


def watches_of(partner: str) -> list[feed_watch.FeedWatch]:
    """This process's watches of the partner's feed (other tests' servers have theirs)."""
    return [w for key, w in feed_watch._WATCHES.items() if key[3] == partner_feed(partner)]


async def taken(stream: AsyncIterator[dict], count: int) -> list[str]:
    async with asyncio.timeout(20):
        return [(await anext(stream))["_id"] for _ in range(count)]


async def test_resuming_after_any_event_starts_right_after_it(db: AsyncDatabase) -> None:
    partner = new_id("ptn")
    events = await written(db, partner, 40)
    key = partner_feed(partner)
    page = await feeds.read(db, key, 0, 1000)
    seq_of = {entry["_id"]: entry["seq"] for entry in page.entries}
    for index in (0, 1, 17, 38, 39):
        after = events[index]["_id"]
        assert await start_position(db, key, partner, after) == seq_of[after]
    stream = await follow(db, partner, lambda _: True, events[30]["_id"], poll_s=0.05)
    assert await taken(stream, 9) == [e["_id"] for e in events[31:]]
    await stream.aclose()


async def test_live_from_the_watermark_without_after(db: AsyncDatabase) -> None:
    partner = new_id("ptn")
    await written(db, partner, 3)
    stream = await follow(db, partner, lambda e: e["data"]["n"] % 2 == 1, None, poll_s=0.05)
    later = asyncio.create_task(taken(stream, 2))
    await asyncio.sleep(0.3)
    fresh = await written(db, partner, 4)
    assert await later == [fresh[1]["_id"], fresh[3]["_id"]]


async def test_a_swept_page_replays_rather_than_skips(db: AsyncDatabase) -> None:
    partner = new_id("ptn")
    events = await written(db, partner, 12)
    key = partner_feed(partner)
    page = await feeds.read(db, key, 0, 1000)
    lost = next(e for e in page.entries if e["_id"] == events[5]["_id"])
    await db[feeds.PAGES].delete_one({"_id": feeds.page_id(key, feeds.block_of(lost["seq"]))})
    stream = await follow(db, partner, lambda _: True, events[5]["_id"], poll_s=0.05)
    got = await taken(stream, 11)       # from the first page that may have held it
    assert got[-6:] == [e["_id"] for e in events[6:]]     # nothing after it missed
    assert events[5]["_id"] not in got and set(got[:-6]) <= {e["_id"] for e in events[:5]}


async def test_old_pages_are_skipped_by_time(db: AsyncDatabase) -> None:
    partner = new_id("ptn")
    events = await written(db, partner, 20)
    key = partner_feed(partner)
    old = utcnow() - timedelta(days=2)
    for block in range(10):          # the first half written long ago
        await db[feeds.PAGES].update_one({"_id": feeds.page_id(key, block)},
                                         {"$set": {"writtenAt": old}})
    stream = await follow(db, partner, lambda _: True, events[14]["_id"], poll_s=0.05)
    assert await taken(stream, 5) == [e["_id"] for e in events[15:]]


async def test_ids_the_partner_never_received_are_refused(db: AsyncDatabase) -> None:
    mine, theirs = new_id("ptn"), new_id("ptn")
    [their_event] = await written(db, theirs, 1)
    [shared] = await written(db, theirs, 1, also_for=(mine,))
    for after in (their_event["_id"], new_id("evt"), "not-an-event"):
        with pytest.raises(GraphQLError) as refused:
            await follow(db, mine, lambda _: True, after)
        assert refused.value.extensions["code"] == "BAD_USER_INPUT"
        assert refused.value.extensions["argument"] == "after"
    stream = await follow(db, mine, lambda _: True, shared["_id"], poll_s=0.05)
    later = asyncio.create_task(taken(stream, 1))
    await asyncio.sleep(0.2)
    [again] = await written(db, theirs, 1, also_for=(mine,))
    assert await later == [again["_id"]]


def test_record_notes_the_event_in_the_tap() -> None:
    tap = EventTap()
    record({EVENT_TAP: tap}, {"_id": "evt_1"})
    assert tap.event_id == "evt_1"
    record({}, {"_id": "evt_2"})          # no tap (a direct call): nothing to note
    assert tap.event_id == "evt_1"


async def test_subscriptions_of_one_feed_share_one_poller(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    partner = new_id("ptn")
    await written(db, partner, 1)
    reads: list[str] = []
    original = feeds.watermark

    async def counted(database: AsyncDatabase, key: str) -> int:
        if key == partner_feed(partner):      # other tests' servers follow their own feeds
            reads.append(key)
        return await original(database, key)

    monkeypatch.setattr(feeds, "watermark", counted)
    streams = [await follow(db, partner, lambda _: True, None, poll_s=0.1, max_poll_s=0.1)
               for _ in range(10)]
    waiting = [asyncio.ensure_future(anext(stream)) for stream in streams]
    await asyncio.sleep(0.3)
    reads.clear()
    await asyncio.sleep(1.0)
    assert len(reads) <= 13     # one poller at 0.1 s (ten pollers would make 100 reads)
    assert len(watches_of(partner)) == 1
    [event] = await written(db, partner, 1)
    assert [(await w)["_id"] for w in waiting] == [event["_id"]] * 10
    for stream in streams:
        await stream.aclose()
    assert not watches_of(partner)        # the last one out stopped it


async def test_a_lagging_subscriber_reads_for_itself_and_misses_nothing(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_watch, "MAX_PENDING", 3)
    partner = new_id("ptn")
    await written(db, partner, 1)
    slow = await follow(db, partner, lambda _: True, None, poll_s=0.05, max_poll_s=0.05)
    fast = await follow(db, partner, lambda _: True, None, poll_s=0.05, max_poll_s=0.05)
    first = asyncio.ensure_future(anext(slow))
    events = await written(db, partner, 8)
    assert (await first)["_id"] == events[0]["_id"]
    assert await taken(fast, 8) == [e["_id"] for e in events]
    await asyncio.sleep(0.3)                       # slow fell behind while not reading
    [shared] = watches_of(partner)
    assert len(shared.listeners) == 1              # the fast one's: slow's was dropped
    assert await taken(slow, 7) == [e["_id"] for e in events[1:]]
    later = await written(db, partner, 2)
    assert await taken(slow, 2) == [e["_id"] for e in later]
    await slow.aclose()
    await fast.aclose()
