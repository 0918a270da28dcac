"""Sandbox and live webhooks never mix: a sandbox token's endpoints, deliveries and events
live in the sandbox database, whose own dispatcher delivers them (as ``loopgate serve`` runs
one per database), and a live token sees none of them, nor the reverse."""

import contextlib
from collections.abc import AsyncIterator

from pymongo.asynchronous.database import AsyncDatabase

from partners.webhooks.endpoints import ENDPOINTS
from schema.kernel.sandbox import Databases
from tests.partners.graphql.helpers import (
    DELETE,
    DELIVERIES,
    EVENTS,
    PARTNER,
    REPLAY,
    ROTATE,
    UPDATE,
    caller,
    create,
    in_sandbox,
    receiver,
    user_errors,
)
from tests.partners.helpers import data
from tests.partners.webhooks.helpers import dispatching, eventually, relay_all, verifies
from tests.stores.helpers import make_store, partner


@contextlib.asynccontextmanager
async def dispatching_both(databases: Databases) -> AsyncIterator[None]:
    async with dispatching(databases.live), dispatching(databases.sandbox):
        yield


async def test_sandbox_and_live_webhooks_and_events_never_mix(db: AsyncDatabase,
                                                              sandbox: AsyncDatabase) -> None:
    databases = Databases.beside(db)
    live, sbx = caller(), in_sandbox(caller())
    live_hook, sandbox_hook = await receiver(), await receiver()
    try:
        live_endpoint, live_secret = await create(db, live, live_hook.url, ["store.updated"])
        sandbox_endpoint, sandbox_secret = await create(db, sbx, sandbox_hook.url,
                                                        ["store.updated"])
        assert await db[ENDPOINTS].distinct("_id") == [live_endpoint["id"]]
        assert await sandbox[ENDPOINTS].distinct("_id") == [sandbox_endpoint["id"]]
        owner = partner(PARTNER, "stores:write")
        live_store = await make_store(db, owner, "LIVE-1", 31.2, 121.4)
        sandbox_store = await make_store(sandbox, owner, "SBX-1", 31.2, 121.4)
        for each in databases.each():
            await relay_all(each)
        async with dispatching_both(databases):
            await eventually(lambda: len(live_hook.answered) == 1
                             and len(sandbox_hook.answered) == 1)
            live_log = (await data(db, DELIVERIES, live))["webhookEndpoints"]
            sandbox_log = (await data(db, DELIVERIES, sbx))["webhookEndpoints"]
        assert live_hook.answered[0].event["resource"]["id"] == live_store
        assert sandbox_hook.answered[0].event["resource"]["id"] == sandbox_store
        assert verifies(live_hook.answered[0], live_secret)
        assert verifies(sandbox_hook.answered[0], sandbox_secret)
        assert not verifies(sandbox_hook.answered[0], live_secret)

        assert [e["id"] for e in live_log] == [live_endpoint["id"]]
        assert [e["id"] for e in sandbox_log] == [sandbox_endpoint["id"]]
        live_node = live_log[0]["deliveries"]["edges"][0]["node"]
        sandbox_node = sandbox_log[0]["deliveries"]["edges"][0]["node"]
        assert live_node["event"]["resourceId"] == live_store
        assert sandbox_node["event"]["resourceId"] == sandbox_store

        live_events = (await data(db, EVENTS, live))["events"]["events"]
        sandbox_events = (await data(db, EVENTS, sbx))["events"]["events"]
        assert [e["resourceId"] for e in live_events] == [live_store]
        assert [e["resourceId"] for e in sandbox_events] == [sandbox_store]

        # Each token treats the other mode's endpoint and delivery as not there at all.
        for me, other_endpoint, other_delivery in [
                (live, sandbox_endpoint["id"], sandbox_node["id"]),
                (sbx, live_endpoint["id"], live_node["id"])]:
            for query, variables in [
                    (UPDATE, {"input": {"endpointId": other_endpoint, "enabled": False}}),
                    (ROTATE, {"id": other_endpoint}), (DELETE, {"id": other_endpoint}),
                    (REPLAY, {"input": {"endpointId": other_endpoint,
                                        "deliveryId": other_delivery}})]:
                errors = await user_errors(db, query, me, **variables)
                assert [e["code"] for e in errors] == ["NOT_FOUND"], (query, me.sandbox)
        for each in databases.each():
            assert all(e["status"] == "ACTIVE" and len(e["secrets"]) == 1
                       for e in await each[ENDPOINTS].find({}).to_list())
        assert len(live_hook.received) == 1 and len(sandbox_hook.received) == 1
    finally:
        await live_hook.stop()
        await sandbox_hook.stop()
