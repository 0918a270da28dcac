"""``events(since, topics, first)`` through GraphQL: the caller's own events, paged by cursor
without skipping one (also while events are being written), filtered by topic; bad
arguments are BAD_USER_INPUT; webhooks:manage is required."""

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.events import EVENTS as EVENTS_COLLECTION
from tests.partners.graphql.helpers import EVENTS, OTHER, PARTNER, caller, error_code
from tests.partners.helpers import data
from tests.partners.webhooks.helpers import emit, relay_all

TOPICS = ("order.created", "payment.succeeded", "store.updated")


async def _page(db: AsyncDatabase, **variables: Any) -> dict[str, Any]:
    return (await data(db, EVENTS, caller(), **variables))["events"]


async def _read_all(db: AsyncDatabase, since: str | None = None, first: int = 4,
                    **variables: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Follow the cursor until hasMore is false; returns the events and the last cursor."""
    found: list[dict[str, Any]] = []
    while True:
        page = await _page(db, since=since, first=first, **variables)
        assert len(page["events"]) <= first
        found += page["events"]
        since = page["cursor"]
        if not page["hasMore"]:
            return found, since


async def _theirs(db: AsyncDatabase, partner_id: str) -> list[str]:
    return sorted(e["_id"] for e in await db[EVENTS_COLLECTION].find(
        {"partnerId": partner_id}).to_list())


async def test_pages_hold_every_own_event_once_in_feed_order(db: AsyncDatabase) -> None:
    for n in range(23):
        await emit(db, PARTNER, f"thing-{n % 5}", TOPICS[n % 3], {"n": n, "tags": ["a", n]})
        if n % 4 == 0:
            await emit(db, OTHER, f"other-{n}")
    await relay_all(db)
    events, cursor = await _read_all(db)
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == 23
    assert sorted(ids) == await _theirs(db, PARTNER)
    for resource in {e["resourceId"] for e in events}:   # the relay's order, per resource
        sequences = [e["sequence"] for e in events if e["resourceId"] == resource]
        assert sequences == list(range(1, len(sequences) + 1))
    (sixth,) = [e for e in events if e["data"]["n"] == 5]
    assert sixth == {**sixth, "topic": TOPICS[5 % 3], "resourceType": "Thing",
                     "resourceId": "thing-0", "sequence": 2, "data": {"n": 5, "tags": ["a", 5]}}
    assert sixth["occurredAt"].endswith("Z")
    assert (await _page(db, since=cursor))["events"] == []
    await emit(db, PARTNER, "thing-new")
    await relay_all(db)
    assert [e["resourceId"] for e in (await _page(db, since=cursor))["events"]] == ["thing-new"]
    assert len((await _page(db, since=""))["events"]) == 24
    (other,) = [e for e in (await data(db, EVENTS, caller(OTHER), first=1))["events"]["events"]]
    assert other["resourceId"].startswith("other-")


async def test_topics_filter_the_feed(db: AsyncDatabase) -> None:
    for n in range(9):
        await emit(db, PARTNER, f"thing-{n}", TOPICS[n % 3])
    await relay_all(db)
    events, _ = await _read_all(db, first=2, topics=["store.updated", "order.created"])
    assert sorted(e["topic"] for e in events) == ["order.created"] * 3 + ["store.updated"] * 3


async def test_a_reader_never_skips_while_events_are_written(db: AsyncDatabase) -> None:
    async def write() -> None:
        for n in range(30):
            await emit(db, PARTNER, f"thing-{n % 3}", TOPICS[n % 3])
            if n % 3 == 2:
                await relay_all(db)
        await relay_all(db)

    writer = asyncio.create_task(write())
    seen: list[str] = []
    cursor = None
    while not writer.done():
        page = await _page(db, since=cursor, first=7)
        seen += [e["id"] for e in page["events"]]
        cursor = page["cursor"]
        await asyncio.sleep(0.01)
    await writer
    rest, _ = await _read_all(db, since=cursor, first=7)
    seen += [e["id"] for e in rest]
    assert sorted(set(seen)) == await _theirs(db, PARTNER) and len(set(seen)) == 30


async def test_bad_arguments_are_bad_user_input(db: AsyncDatabase) -> None:
    for variables in ({"since": "garbage"}, {"since": "c2VxMTotNQ"}, {"topics": ["nope"]},
                      {"topics": ["order.created", "*"]}, {"first": 0}, {"first": 1001}):
        assert await error_code(db, EVENTS, caller(), **variables) == "BAD_USER_INPUT", variables
    assert await _page(db, first=1000) == {"events": [], "cursor": (await _page(db))["cursor"],
                                           "hasMore": False}


async def test_the_feed_needs_webhooks_manage(db: AsyncDatabase) -> None:
    await emit(db, PARTNER, "thing-1")
    await relay_all(db)
    assert await error_code(db, EVENTS, None) == "UNAUTHENTICATED"
    assert await error_code(db, EVENTS, caller(PARTNER, "stores:read", "orders:read")) \
        == "FORBIDDEN"
