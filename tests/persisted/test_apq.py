"""Automatic persisted queries (Apollo's protocol) on a real database: not found → register →
hash only, across workers and over GET; poisoned, unknown, oversized and malformed requests
are typed errors that store nothing and call no subgraph."""

import asyncio
from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.persisted import ApqLimits, PersistedOperations
from gateway.persisted.apq import COLLECTION
from gateway.persisted.extension import sha256_hex
from gateway.service import Gateway, GraphQLRequest
from schema.kernel.time import utcnow
from tests.gateway.conftest import CountingRouter
from tests.persisted.conftest import TOP, TOP_DATA, apq, code_of, persisted_for, run

TOP_HASH = sha256_hex(TOP)


async def test_round_trip_not_found_then_registered_then_hash_only(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations,
        counting_router: CountingRouter) -> None:
    missing = await run(persisted, gateway, GraphQLRequest(None, extensions=apq(TOP_HASH)))
    assert missing["errors"][0]["message"] == "PersistedQueryNotFound"
    assert code_of(missing) == "PERSISTED_QUERY_NOT_FOUND"
    assert missing["status"] == 404
    assert missing["headers"] == {"Cache-Control": "private, no-cache, must-revalidate"}
    assert counting_router.requests == []

    registered = await run(persisted, gateway, GraphQLRequest(TOP, extensions=apq(TOP_HASH)))
    assert registered == {"data": TOP_DATA, "status": 200}
    stored = await db[COLLECTION].find_one({"_id": TOP_HASH})
    assert stored is not None and stored["query"] == TOP

    other_worker = persisted_for(db, gateway)
    by_hash = await run(other_worker, gateway, GraphQLRequest(None, extensions=apq(TOP_HASH)))
    assert by_hash == {"data": TOP_DATA, "status": 200}
    as_get = await run(other_worker, gateway, GraphQLRequest(None, extensions=apq(TOP_HASH)),
                       client_id=None, get=True)
    assert as_get == {"data": TOP_DATA, "status": 200}


async def test_a_poisoned_hash_is_refused_and_not_stored(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations,
        counting_router: CountingRouter) -> None:
    poisoned = sha256_hex("{ reviewCount }")
    refused = await run(persisted, gateway, GraphQLRequest(TOP, extensions=apq(poisoned)))
    assert (code_of(refused), refused["status"]) == ("PERSISTED_QUERY_HASH_MISMATCH", 400)
    assert await db[COLLECTION].count_documents({}) == 0
    assert counting_router.requests == []
    still_unknown = await run(persisted, gateway, GraphQLRequest(None, extensions=apq(poisoned)))
    assert code_of(still_unknown) == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_oversized_query_is_refused_and_not_stored(
        db: AsyncDatabase, gateway: Gateway, counting_router: CountingRouter) -> None:
    small = persisted_for(db, gateway, apq=ApqLimits(max_query_bytes=40))
    refused = await run(small, gateway, GraphQLRequest(TOP, extensions=apq(TOP_HASH)))
    assert (code_of(refused), refused["status"]) == ("PAYLOAD_TOO_LARGE", 413)
    assert await db[COLLECTION].count_documents({}) == 0
    assert counting_router.requests == []


@pytest.mark.parametrize("extensions", [
    {"persistedQuery": "abc"},
    {"persistedQuery": {"sha256Hash": TOP_HASH}},
    {"persistedQuery": {"version": 2, "sha256Hash": TOP_HASH}},
    {"persistedQuery": {"version": True, "sha256Hash": TOP_HASH}},
    {"persistedQuery": {"version": 1}},
    {"persistedQuery": {"version": 1, "sha256Hash": 12}},
    {"persistedQuery": {"version": 1, "sha256Hash": "not a hash"}},
    {"persistedQuery": {"version": 1, "sha256Hash": "abc123"}},
    {"persistedQuery": {"version": 1, "sha256Hash": TOP_HASH.upper()}},
    {"persistedQuery": {"version": 1, "sha256Hash": "x" * 200}},
])
async def test_a_malformed_extension_is_not_supported(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations,
        counting_router: CountingRouter, extensions: dict) -> None:
    for query in (None, TOP):
        refused = await run(persisted, gateway, GraphQLRequest(query, extensions=extensions))
        assert (code_of(refused), refused["status"]) == ("PERSISTED_QUERY_NOT_SUPPORTED", 400)
    assert await db[COLLECTION].count_documents({}) == 0
    assert counting_router.requests == []


async def test_an_anonymous_caller_runs_its_query_but_stores_nothing(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations) -> None:
    ran = await run(persisted, gateway, GraphQLRequest(TOP, extensions=apq(TOP_HASH)),
                    client_id=None)
    assert ran == {"data": TOP_DATA, "status": 200}
    assert await db[COLLECTION].count_documents({}) == 0
    again = await run(persisted_for(db, gateway), gateway,
                      GraphQLRequest(None, extensions=apq(TOP_HASH)), client_id=None)
    assert code_of(again) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_query_that_does_not_validate_is_not_stored(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations,
        counting_router: CountingRouter) -> None:
    for text in ("{ topProducts { sku } }", "{ topProducts { "):
        answer = await run(persisted, gateway,
                           GraphQLRequest(text, extensions=apq(sha256_hex(text))))
        assert code_of(answer) in ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED")
    assert await db[COLLECTION].count_documents({}) == 0
    assert counting_router.requests == []


async def test_without_a_database_the_store_is_per_process_and_bounded(
        gateway: Gateway) -> None:
    local = persisted_for(None, gateway, apq=ApqLimits(max_entries=2))
    texts = [f"query Q{i} {{ reviewCount }}" for i in range(3)]
    for text in texts:
        assert (await run(local, gateway, GraphQLRequest(text, extensions=apq(
            sha256_hex(text)))))["status"] == 200
    oldest = await run(local, gateway, GraphQLRequest(None, extensions=apq(sha256_hex(texts[0]))))
    assert code_of(oldest) == "PERSISTED_QUERY_NOT_FOUND"
    newest = await run(local, gateway, GraphQLRequest(None, extensions=apq(sha256_hex(texts[2]))))
    assert newest == {"data": {"reviewCount": 3}, "status": 200}
    elsewhere = persisted_for(None, gateway)
    assert code_of(await run(elsewhere, gateway, GraphQLRequest(
        None, extensions=apq(sha256_hex(texts[2]))))) == "PERSISTED_QUERY_NOT_FOUND"


async def test_the_sweep_drops_unused_entries_then_the_least_recently_used(
        db: AsyncDatabase, gateway: Gateway) -> None:
    limits = ApqLimits(max_entries=3, retention=timedelta(days=30),
                       sweep_every=timedelta(hours=1))
    worker = persisted_for(db, gateway, apq=limits)
    texts = [f"query Q{i} {{ reviewCount }}" for i in range(6)]
    now = utcnow()
    ages = [timedelta(days=40), timedelta(days=3), timedelta(days=2), timedelta(days=1),
            timedelta(hours=1), timedelta(0)]
    await db[COLLECTION].insert_many([
        {"_id": sha256_hex(text), "query": text, "createdAt": now - age, "usedAt": now - age}
        for text, age in zip(texts, ages, strict=True)])
    assert await worker.queries.sweep() == 3
    left = {doc["_id"] async for doc in db[COLLECTION].find({}, {"_id": 1})}
    assert left == {sha256_hex(texts[i]) for i in (3, 4, 5)}


async def test_registrations_start_a_sweep_before_the_store_grows_far(
        db: AsyncDatabase, gateway: Gateway) -> None:
    limits = ApqLimits(max_entries=10, sweep_every=timedelta(hours=1))
    worker = persisted_for(db, gateway, apq=limits)
    for i in range(25):
        text = f"query Q{i} {{ reviewCount }}"
        await worker.resolve(GraphQLRequest(text, extensions=apq(sha256_hex(text))),
                             client_id="app_test")
        await asyncio.sleep(0)
    await worker.queries.wait_for_sweep()
    assert await db[COLLECTION].count_documents({}) <= 11


async def test_indexes_are_created_idempotently(db: AsyncDatabase,
                                                persisted: PersistedOperations) -> None:
    first = await persisted.ensure_indexes()
    assert first == await persisted.ensure_indexes()
    assert "persisted_queries.usedAt_1" in first
    assert first.count("persisted_safelist.clientId_1_opId_1") == 2
    await db.client.drop_database(f"{db.name}_sandbox")


async def test_a_query_served_from_the_cache_still_counts_as_used(
        db: AsyncDatabase, gateway: Gateway) -> None:
    worker = persisted_for(db, gateway, apq=ApqLimits(touch_every=timedelta(0)))
    await worker.resolve(GraphQLRequest(TOP, extensions=apq(TOP_HASH)), client_id="app_test")
    long_ago = utcnow() - timedelta(days=29)
    await db[COLLECTION].update_one({"_id": TOP_HASH}, {"$set": {"usedAt": long_ago}})
    resolved = await worker.resolve(GraphQLRequest(None, extensions=apq(TOP_HASH)),
                                    client_id=None)
    assert resolved.query == TOP
    stored = await db[COLLECTION].find_one({"_id": TOP_HASH})
    assert stored["usedAt"] > long_ago + timedelta(days=28)
