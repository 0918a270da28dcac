"""A partner's endpoint changes: topics, URL, enabled, deleted; only its own; bad changes
write nothing."""

import asyncio

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.urls import NetworkPolicy, UnsafeUrl
from partners.webhooks.deliveries import DEAD, DELIVERIES
from partners.webhooks.endpoints import (
    ACTIVE,
    DISABLED,
    BadEndpoint,
    EndpointNotFound,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    partner_endpoint_ids,
    update_endpoint,
)
from partners.webhooks.log import delivery_log
from tests.partners.webhooks.helpers import (
    LOCAL,
    Receiver,
    dispatching,
    emit,
    eventually,
    relay_all,
)

PARTNER = "ptn_01JTESTPARTNER000000000000"
OTHER = "ptn_01JOTHERPARTNER0000000000"


async def test_topics_url_and_enabled_change_what_is_delivered(db: AsyncDatabase) -> None:
    receiver = await Receiver().start()
    try:
        endpoint, _ = await create_endpoint(db, PARTNER, "http://127.0.0.1:4899/none",
                                            ["order.created"], LOCAL)
        changed = await update_endpoint(db, PARTNER, endpoint["_id"], url=receiver.url,
                                        topics=["payment.succeeded"], policy=LOCAL)
        assert changed["url"] == receiver.url and changed["topics"] == ["payment.succeeded"]
        await emit(db, PARTNER, "thing-1", topic="order.created")
        await emit(db, PARTNER, "thing-2", topic="payment.succeeded")
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(receiver.answered) == 1)
            await update_endpoint(db, PARTNER, endpoint["_id"], enabled=False)
            await emit(db, PARTNER, "thing-3", topic="payment.succeeded")
            await relay_all(db)
            await asyncio.sleep(1.0)
        assert [r.event["topic"] for r in receiver.answered] == ["payment.succeeded"]
        disabled = await get_endpoint(db, endpoint["_id"])
        assert disabled["status"] == DISABLED
        assert disabled["disabledReason"] == "disabled by the partner"
        enabled = await update_endpoint(db, PARTNER, endpoint["_id"], enabled=True)
        assert enabled["status"] == ACTIVE and enabled["disabledReason"] is None
        log = await delivery_log(db, endpoint["_id"], status="SUCCEEDED")
        assert len(log.deliveries) == 1
    finally:
        await receiver.stop()


async def test_bad_changes_and_other_partners_change_nothing(db: AsyncDatabase) -> None:
    endpoint, _ = await create_endpoint(db, PARTNER, "http://127.0.0.1:4899/hook",
                                        ["order.created"], LOCAL)
    with pytest.raises(UnsafeUrl):
        await update_endpoint(db, PARTNER, endpoint["_id"], url="http://10.0.0.1/",
                              policy=NetworkPolicy())
    with pytest.raises(BadEndpoint):
        await update_endpoint(db, PARTNER, endpoint["_id"], topics=["nope"])
    with pytest.raises(EndpointNotFound):
        await update_endpoint(db, OTHER, endpoint["_id"], topics=["order.created"])
    with pytest.raises(EndpointNotFound):
        await delete_endpoint(db, OTHER, endpoint["_id"])
    assert await get_endpoint(db, endpoint["_id"]) == endpoint


async def test_a_deleted_endpoint_gets_nothing_more(db: AsyncDatabase) -> None:
    receiver = await Receiver().start()
    try:
        endpoint, _ = await create_endpoint(db, PARTNER, receiver.url, ["order.created"],
                                            LOCAL)
        await emit(db, PARTNER, "thing-1")
        await relay_all(db)
        await delete_endpoint(db, PARTNER, endpoint["_id"])
        assert await partner_endpoint_ids(db, PARTNER) == []
        await emit(db, PARTNER, "thing-2")
        await relay_all(db)
        async with dispatching(db):
            await asyncio.sleep(1.5)
        assert receiver.received == []
        assert await db[DELIVERIES].count_documents({"status": {"$ne": DEAD}}) == 0
    finally:
        await receiver.stop()
