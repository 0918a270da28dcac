"""A dispatcher's clean stop: the chunk in flight is sent and recorded, no new work is
claimed, the leases are released (another dispatcher carries on at once); past the drain
bound it is cut off, and still releases its leases."""

import asyncio
from collections import Counter

from pymongo.asynchronous.database import AsyncDatabase

from partners.webhooks.deliveries import DELIVERIES, SUCCEEDED
from partners.webhooks.dispatcher import Dispatcher, stop_within
from partners.webhooks.endpoints import create_endpoint
from schema.kernel.leases import LEASES
from schema.kernel.time import as_utc, utcnow
from tests.partners.webhooks.helpers import (
    LOCAL,
    Receiver,
    dispatching,
    emit,
    eventually,
    fast_settings,
    relay_all,
)

PARTNER = "ptn_01JTESTPARTNER000000000000"


async def _held(db: AsyncDatabase) -> list[str]:
    now = utcnow()
    return [lease["_id"] for lease in await db[LEASES].find({}).to_list()
            if lease.get("holder") and as_utc(lease["expiresAt"]) > now]


async def _succeeded(db: AsyncDatabase) -> int:
    found = await db[DELIVERIES].find({}, {"status": 1}).to_list()
    return Counter(d["status"] for d in found)[SUCCEEDED]


async def test_a_stop_finishes_the_chunk_in_flight_and_hands_over_at_once(
        db: AsyncDatabase) -> None:
    receiver = await Receiver(delay_s=1.0).start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        for n in range(12):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        dispatcher = Dispatcher(db, fast_settings(lease_ttl=fast_settings().lease_ttl * 20))
        task = asyncio.create_task(dispatcher.run_forever())
        await eventually(lambda: len(receiver.received) >= 1)
        assert await stop_within([dispatcher], [task], drain_s=10) == 0
        assert len(receiver.answered) == len(receiver.received), "a request was cut off"
        assert await _succeeded(db) == len(receiver.answered)
        assert dispatcher.counts["delivered"] == len(receiver.answered) < 12
        assert await _held(db) == []
        receiver.delay_s = 0.0
        async with dispatching(db, lease_ttl=fast_settings().lease_ttl * 20):
            # leases of 30 s: only a release lets this one in within the wait
            await eventually(lambda: _all_twelve(db), timeout_s=15)
        assert sorted(Counter(receiver.event_ids()).values()) == [1] * 12
    finally:
        await receiver.stop()


async def _all_twelve(db: AsyncDatabase) -> bool:
    return await _succeeded(db) == 12


async def test_past_the_drain_bound_a_dispatcher_is_cut_off_and_releases_its_leases(
        db: AsyncDatabase) -> None:
    receiver = await Receiver(delay_s=30.0).start()
    try:
        await create_endpoint(db, PARTNER, receiver.url, ["order.created"], LOCAL)
        await emit(db, PARTNER, "thing-1")
        await relay_all(db)
        dispatcher = Dispatcher(db, fast_settings(timeout_s=60.0))
        task = asyncio.create_task(dispatcher.run_forever())
        await eventually(lambda: len(receiver.received) == 1)
        assert await stop_within([dispatcher], [task], drain_s=0.5) == 1
        assert task.cancelled()
        assert await _held(db) == []
    finally:
        await receiver.stop()
