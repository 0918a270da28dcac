"""Work without a principal covers the sandbox too: indexes are created in both databases,
the outbox relay moves sandbox events into the sandbox's ``events``, and the retention sweeps
clear both databases; the live-only partner registry stays out of the sandbox."""

import asyncio
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.platform import PLATFORM_SUBGRAPHS, platform_jobs
from schema.kernel.claims import CLAIMS, sweep_claims
from schema.kernel.events import EVENTS, relay_outboxes
from schema.kernel.idempotency import IDEMPOTENCY, sweep_expired
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from schema.kernel.time import utcnow
from tests.sandbox.conftest import GraphQL, Platform, running_platform

UPSERT_STORE = """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
  store { id } userErrors { code } } }"""


async def eventually(check: Any, attempts: int = 200) -> None:
    """Wait (up to about 20 s) until the async ``check()`` is true: background work."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{check.__name__} never became true")


async def index_names(db: AsyncDatabase, collection: str) -> set[str]:
    return {index["name"] async for index in await db[collection].list_indexes()}


async def test_a_sandbox_store_event_is_relayed_into_the_sandbox_events(
        platform: Platform, graphql: GraphQL) -> None:
    partner = await platform.partner()
    token = await platform.token(partner, sandbox=True)
    answer = await graphql(UPSERT_STORE, {"input": {
        "code": "EVT-1", "name": "Evented", "location": {"lat": 31.23, "lng": 121.47},
        "address": {"line1": "1 Road", "city": "Shanghai"},
        "openingHours": [], "services": ["PICKUP"]}}, token=token)
    store_id = answer["data"]["upsertStore"]["store"]["id"]

    async def relayed() -> bool:
        return await platform.sandbox[EVENTS].count_documents(
            {"resource.id": store_id, "topic": "store.updated"}) == 1

    await eventually(relayed)
    assert await platform.live[EVENTS].count_documents({"resource.id": store_id}) == 0
    assert await platform.live["stores"].count_documents({"_id": store_id}) == 0


async def test_indexes_are_created_in_both_databases_and_the_registry_stays_live(
        platform: Platform) -> None:
    for db in (platform.live, platform.sandbox):
        assert "partnerId_1_code_1" in await index_names(db, "stores")
        assert "partnerId_1_sku_1" in await index_names(db, "products")
        assert "expiresAt_1" in await index_names(db, IDEMPOTENCY)
        assert "occurredAt_1" in await index_names(db, "events")
    assert await platform.live["partners"].count_documents({}) > 0
    assert "partners" not in await platform.sandbox.list_collection_names()


async def test_sweeps_clear_expired_records_in_both_databases(mongo_client: Mongo) -> None:
    long_ago = utcnow() - timedelta(days=30)

    async def expired_records(databases: Databases) -> None:
        for db in databases.each():
            await db[IDEMPOTENCY].insert_one({"_id": "idem:old", "expiresAt": long_ago})
            await db[CLAIMS].insert_one({"_id": "stores:old:1", "at": long_ago})

    async with running_platform(mongo_client, before_start=expired_records) as platform:
        for db in platform.databases.each():
            async def swept(db: AsyncDatabase = db) -> bool:
                return (await db[IDEMPOTENCY].count_documents({}) == 0
                        and await db[CLAIMS].count_documents({"_id": "stores:old:1"}) == 0)

            await eventually(swept)


def test_every_database_gets_the_relays_and_sweeps_of_the_subgraphs_living_there(
        db: AsyncDatabase) -> None:
    databases = Databases.beside(db)
    sets = platform_jobs(databases)
    assert [s.db.name for s in sets] == [db.name, f"{db.name}_sandbox"]
    every_job = {job for s in PLATFORM_SUBGRAPHS for job in s.jobs}
    every_sweep = {sweep for s in PLATFORM_SUBGRAPHS for sweep in s.sweeps}
    for job_set in sets:
        assert set(job_set.jobs) == every_job and relay_outboxes in every_job
        assert set(job_set.sweeps) == every_sweep >= {sweep_claims, sweep_expired}
        assert len(job_set.sweeps) == len(every_sweep)   # each once, though shared
    assert platform_jobs(databases, ()) == []
