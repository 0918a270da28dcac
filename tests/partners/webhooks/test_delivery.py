"""Webhook delivery end to end, with real receivers on 127.0.0.1 and the real FerretDB:
signed events arrive and verify, nothing is lost when a receiver is away or a worker dies,
replays, secret rotation, dead letters and endpoints disabled after failing for days."""

import asyncio
import contextlib
import time
from collections import Counter
from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.feed import partner_events
from partners.urls import NetworkPolicy, UnsafeUrl
from partners.webhooks import deliveries as deliveries_module
from partners.webhooks.deliveries import (
    DEAD,
    DELIVERIES,
    SUCCEEDED,
    RetryPolicy,
    delivery_id,
    replay,
    replay_since,
)
from partners.webhooks.dispatcher import Dispatcher, run_dispatcher_forever
from partners.webhooks.endpoints import (
    DISABLED,
    ENDPOINTS,
    BadEndpoint,
    create_endpoint,
    get_endpoint,
    rotate_secret,
)
from partners.webhooks.log import BadLogRequest, delivery_log
from partners.webhooks.signing import HEADER
from schema.kernel.time import utcnow
from tests.partners.webhooks.helpers import (
    LOCAL,
    Receiver,
    dispatching,
    emit,
    eventually,
    fast_settings,
    relay_all,
    verifies,
)

PARTNER = "ptn_01JTESTPARTNER000000000000"


async def _statuses(db: AsyncDatabase) -> Counter[str]:
    return Counter(d["status"] for d in await db[DELIVERIES].find({}).to_list())


async def test_signed_events_arrive_with_their_headers_and_verify(db: AsyncDatabase) -> None:
    receiver = await Receiver().start()
    try:
        endpoint, secret = await create_endpoint(db, PARTNER, receiver.url,
                                                 ["order.created"], LOCAL)
        await emit(db, PARTNER, "thing-1", data={"total": 12})
        await emit(db, PARTNER, "thing-1", topic="order.status_changed")   # not subscribed
        await emit(db, "ptn_01JOTHERPARTNER0000000000", "thing-2")          # not theirs
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(receiver.answered) == 1)
            await asyncio.sleep(0.3)
        got = receiver.answered[0]
        assert verifies(got, secret)
        assert not verifies(got, "whsec_someone-else")
        event = got.event
        assert event["topic"] == "order.created" and event["data"] == {"total": 12}
        assert got.headers["Loopgate-Event-Id"] == event["id"]
        assert got.headers["Loopgate-Event-Topic"] == "order.created"
        assert got.headers["Loopgate-Resource-Sequence"] == "1"
        assert got.headers["Loopgate-Event-Time"] == event["occurredAt"]
        assert len(receiver.received) == 1
        found = await db[DELIVERIES].find_one(
            {"_id": delivery_id(event["id"], endpoint["_id"])})
        assert found["status"] == SUCCEEDED and found["attempts"] == 1
        assert found["lastResponseCode"] == 200 and found["lastLatencyMs"] >= 0
        log = await delivery_log(db, endpoint["_id"], first=1)
        assert [d["_id"] for d in log.deliveries] == [found["_id"]]
        assert log.deliveries[0]["status"] == SUCCEEDED
        assert (await delivery_log(db, endpoint["_id"], log.cursor)).deliveries == []
        with pytest.raises(BadLogRequest):
            await delivery_log(db, endpoint["_id"], first=101)
    finally:
        await receiver.stop()


async def test_a_receiver_down_for_a_while_gets_every_event_when_back(
        db: AsyncDatabase) -> None:
    receiver = await Receiver().start()
    await receiver.stop()   # away: connections are refused
    await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
    for n in range(20):
        await emit(db, PARTNER, f"thing-{n}")
    await relay_all(db)
    async with dispatching(db):
        await eventually(lambda: _failed_some(db), timeout_s=20)
        await asyncio.sleep(0.5)
        await receiver.start()
        try:
            await eventually(lambda: len(set(receiver.event_ids())) == 20, timeout_s=30)
            await asyncio.sleep(0.5)
        finally:
            await receiver.stop()
    ids = receiver.event_ids()
    assert len(set(ids)) == 20
    assert len(ids) == 20, "an answered event was sent again"
    found = await db[DELIVERIES].find({}).to_list()
    assert {d["status"] for d in found} == {SUCCEEDED}
    assert all(d["attempts"] >= 2 for d in found)


async def _failed_some(db: AsyncDatabase) -> bool:
    return (await _statuses(db)).get("FAILED", 0) > 0


async def test_a_worker_killed_mid_delivery_loses_nothing(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    async def dies(self: Dispatcher) -> None:
        """A killed process releases nothing: its leases run out."""

    receiver = await Receiver(delay_s=1.0).start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(10):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        first = asyncio.create_task(run_dispatcher_forever(db, fast_settings()))
        await eventually(lambda: len(receiver.received) >= 3, timeout_s=20)
        monkeypatch.setattr(Dispatcher, "release_leases", dies)
        first.cancel()   # mid-flight: its requests are cut off, its leases left to run out
        with contextlib.suppress(asyncio.CancelledError):
            await first
        cut_off = len(receiver.received) - len(receiver.answered)
        assert cut_off > 0
        receiver.delay_s = 0.0
        monkeypatch.undo()
        async with dispatching(db):
            # A write the killed worker had claimed but not made keeps its delivery
            # unwritable until the claim lease (60 s) runs out: allow for it.
            await eventually(lambda: _all_succeeded(db, 10), timeout_s=100)
        assert len(set(receiver.event_ids())) == 10
    finally:
        await receiver.stop()


async def _all_succeeded(db: AsyncDatabase, count: int) -> bool:
    return await _statuses(db) == Counter({SUCCEEDED: count})


async def test_replay_of_one_delivery_and_of_all_since_a_time(db: AsyncDatabase) -> None:
    receiver = await Receiver().start()
    try:
        endpoint, _ = await create_endpoint(db, PARTNER, receiver.url, ["order.created"],
                                            LOCAL)
        for n in range(3):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(receiver.answered) == 3)
            one = delivery_id(receiver.event_ids()[0], endpoint["_id"])
            replayed = await replay(db, one, PARTNER)
            assert replayed["status"] == "PENDING"
            await eventually(lambda: len(receiver.answered) == 4)
            assert receiver.event_ids()[3] == receiver.event_ids()[0]
            assert await replay_since(db, endpoint["_id"], utcnow() - timedelta(hours=1)) == 3
            await eventually(lambda: len(receiver.answered) == 7)
        counts = Counter(receiver.event_ids())
        assert sorted(counts.values()) == [2, 2, 3] and counts[receiver.event_ids()[0]] == 3
        with pytest.raises(deliveries_module.DeliveryNotFound):
            await replay(db, one, "ptn_01JOTHERPARTNER0000000000")
        with pytest.raises(deliveries_module.DeliveryNotFound):
            await replay_since(db, endpoint["_id"], utcnow(), "ptn_01JOTHERPARTNER0000000000")
    finally:
        await receiver.stop()


async def test_during_a_rotation_both_secrets_sign_then_only_the_new_one(
        db: AsyncDatabase) -> None:
    receiver = await Receiver().start()
    try:
        endpoint, old = await create_endpoint(db, PARTNER, receiver.url, ["order.created"],
                                              LOCAL)
        new = await rotate_secret(db, endpoint["_id"], overlap=timedelta(seconds=2))
        await emit(db, PARTNER, "thing-1")
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(receiver.answered) == 1)
            overlap = receiver.answered[0]
            assert verifies(overlap, new) and verifies(overlap, old)
            assert overlap.headers[HEADER].count("v1=") == 2
            await asyncio.sleep(2.1)
            await emit(db, PARTNER, "thing-2")
            await relay_all(db)
            await eventually(lambda: len(receiver.answered) == 2)
        after = receiver.answered[1]
        assert verifies(after, new) and not verifies(after, old)
        assert after.headers[HEADER].count("v1=") == 1
    finally:
        await receiver.stop()


async def test_a_delivery_failing_past_the_retry_window_is_dead_and_replayable(
        db: AsyncDatabase) -> None:
    receiver = await Receiver(status=500).start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        await emit(db, PARTNER, "thing-1")
        await relay_all(db)
        window = RetryPolicy(base=timedelta(milliseconds=50), cap=timedelta(milliseconds=200),
                             window=timedelta(seconds=1))
        async with dispatching(db, retry=window):
            await eventually(lambda: _has_status(db, DEAD))
            attempts = len(receiver.received)
            await asyncio.sleep(0.5)
            assert len(receiver.received) == attempts, "a dead delivery was attempted again"
            dead = await db[DELIVERIES].find_one({})
            # retried at least once before the window ran out (a retry may wait up to a due
            # slot, 1 s in these tests, so on a busy machine only two attempts fit in 1 s)
            assert dead["attempts"] == attempts >= 2 and dead["lastResponseCode"] == 500
            receiver.status = 200
            await replay(db, dead["_id"])
            await eventually(lambda: _has_status(db, SUCCEEDED))
    finally:
        await receiver.stop()


async def _has_status(db: AsyncDatabase, status: str) -> bool:
    return (await _statuses(db)).get(status, 0) > 0


async def test_an_endpoint_failing_for_three_days_is_disabled_with_an_event(
        db: AsyncDatabase) -> None:
    receiver = await Receiver(status=503).start()
    now = [utcnow()]
    try:
        endpoint, _ = await create_endpoint(db, PARTNER, receiver.url, ["order.created"],
                                            LOCAL)
        await emit(db, PARTNER, "thing-1")
        await relay_all(db)
        patient = RetryPolicy(base=timedelta(milliseconds=50), cap=timedelta(milliseconds=300),
                              window=timedelta(days=30))
        async with dispatching(db, clock=lambda: now[0], retry=patient):
            await eventually(lambda: len(receiver.received) >= 1)
            await eventually(lambda: _failing(db, endpoint["_id"]))
            now[0] += timedelta(days=2, hours=23)
            seen = len(receiver.received)
            await eventually(lambda: len(receiver.received) > seen)
            assert (await get_endpoint(db, endpoint["_id"]))["status"] != DISABLED
            now[0] += timedelta(hours=1, seconds=1)
            await eventually(lambda: _disabled(db, endpoint["_id"]))
            await eventually(lambda: _has_status(db, DEAD))
            stopped = len(receiver.received)
            await asyncio.sleep(0.5)
            assert len(receiver.received) == stopped
        await relay_all(db)
        page = await partner_events(db, PARTNER, topics=["partner.endpoint_disabled"])
        assert [e["resource"]["id"] for e in page.events] == [endpoint["_id"]]
        assert page.events[0]["data"]["endpointId"] == endpoint["_id"]
    finally:
        await receiver.stop()


async def _failing(db: AsyncDatabase, endpoint_id: str) -> bool:
    return (await get_endpoint(db, endpoint_id)).get("failingSince") is not None


async def _disabled(db: AsyncDatabase, endpoint_id: str) -> bool:
    return (await get_endpoint(db, endpoint_id))["status"] == DISABLED


@pytest.mark.parametrize("url", ["http://127.0.0.1:4801/hook", "http://169.254.169.254/x",
                                 "http://10.1.2.3/", "ftp://example.com/", "not a url",
                                 "https://user:pw@example.com/"])
async def test_bad_or_private_urls_are_refused_and_nothing_is_written(
        db: AsyncDatabase, url: str) -> None:
    with pytest.raises(UnsafeUrl):
        await create_endpoint(db, PARTNER, url, ["order.created"], NetworkPolicy())
    assert await db[ENDPOINTS].count_documents({}) == 0


async def test_unknown_or_no_topics_are_refused(db: AsyncDatabase) -> None:
    for topics in ([], ["order.exploded"]):
        with pytest.raises(BadEndpoint):
            await create_endpoint(db, PARTNER, "http://127.0.0.1:4801/", topics, LOCAL)
    assert await db[ENDPOINTS].count_documents({}) == 0


async def test_one_worker_delivers_a_burst_with_each_event_once(db: AsyncDatabase) -> None:
    receiver = await Receiver().start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(60):
            await emit(db, PARTNER, f"thing-{n % 7}")
        await relay_all(db)
        started = time.monotonic()
        async with dispatching(db):
            await eventually(lambda: len(receiver.answered) == 60)
        assert time.monotonic() - started < 20
        assert len(set(receiver.event_ids())) == 60
    finally:
        await receiver.stop()


async def test_two_workers_share_a_burst_and_deliver_each_event_once(
        db: AsyncDatabase) -> None:
    receiver = await Receiver(delay_s=0.05).start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(80):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        async with dispatching(db), dispatching(db):
            await eventually(lambda: _all_succeeded(db, 80), timeout_s=60)
            holders = {lease["holder"] for lease in await db["leases"].find(
                {"_id": {"$regex": "^whbucket:"}}).to_list()}
        assert len(holders) == 2, "both workers held buckets"
        assert sorted(Counter(receiver.event_ids()).values()) == [1] * 80
    finally:
        await receiver.stop()
