"""Per-app safelists through resolve and a real Gateway: a safelist-only app runs its
operations by id or by text and nothing else (OPERATION_NOT_SAFELISTED, no subgraph called);
other apps run anything; a flag change or a removal reaches a worker within its cache time."""

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from gateway.persisted import PersistedOperations, admin
from gateway.persisted.extension import sha256_hex
from gateway.persisted.manifest import read_manifest
from gateway.service import Gateway, GraphQLRequest
from schema.kernel.sandbox import Databases
from tests.gateway.conftest import CountingRouter
from tests.persisted.conftest import TOP, TOP_DATA, apq, code_of, persisted_for, run
from tests.persisted.manifests import APOLLO_MANIFEST, GRAPHQL_FILE, REVIEWS_BODY

ERP = "app_01JERPERPERPERPERPERPERPER"
OTHER = "app_01JOTHEROTHEROTHEROTHEROT"
USER_BY_TEXT = """
query User($id: ID!) {
  user(id: $id) { ...Who }   # spelled differently from the manifest
}
fragment Who on User { username }
"""


async def _erp(db: AsyncDatabase, *, safelist_only: bool = True) -> None:
    await admin.push(db, ERP, read_manifest(APOLLO_MANIFEST), safelist_only)
    await admin.push(db, ERP, read_manifest(GRAPHQL_FILE))


async def test_a_safelist_only_app_runs_its_operations_by_id(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations) -> None:
    await _erp(db)
    by_hash = await run(persisted, gateway,
                        GraphQLRequest(None, extensions=apq(sha256_hex(REVIEWS_BODY))),
                        client_id=ERP)
    assert by_hash == {"data": {"reviewCount": 3}, "status": 200}
    by_manifest_id = await run(persisted, gateway, GraphQLRequest(
        None, {"id": "u1"}, extensions=apq("erp-user-v1")), client_id=ERP)
    assert by_manifest_id == {"data": {"user": {"username": "ada"}}, "status": 200}
    [top] = [op for op in read_manifest(GRAPHQL_FILE) if op.name == "Top"]
    from_graphql_file = await run(persisted, gateway, GraphQLRequest(
        None, {"first": 2}, extensions=apq(top.id)), client_id=ERP, get=True)
    assert from_graphql_file == {"data": {"topProducts": [
        {"upc": "p1", "name": "Table"}, {"upc": "p2", "name": "Couch"}]}, "status": 200}


async def test_a_safelist_only_app_runs_a_safelisted_text_however_spelled(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations) -> None:
    await _erp(db)
    ran = await run(persisted, gateway, GraphQLRequest(USER_BY_TEXT, {"id": "u2"}, "User"),
                    client_id=ERP)
    assert ran == {"data": {"user": {"username": "alan"}}, "status": 200}
    touched = await run(persisted, gateway, GraphQLRequest(
        "mutation Touch($upc: String!) { touch(upc: $upc) { name } }", {"upc": "p1"}),
        client_id=ERP)
    assert touched == {"data": {"touch": {"name": "Table"}}, "status": 200}


async def test_a_safelist_only_app_sending_a_new_query_is_refused_before_any_subgraph(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations,
        counting_router: CountingRouter) -> None:
    await _erp(db)
    refusals = [
        GraphQLRequest(TOP),
        GraphQLRequest("query User($id: ID!) { user(id: $id) { id username } }", {"id": "u1"}),
        GraphQLRequest(f"{REVIEWS_BODY} {TOP}", operation_name="Top"),
        GraphQLRequest("{ reviewCount"),
        GraphQLRequest(TOP, extensions=apq(sha256_hex(TOP))),
        GraphQLRequest(None, extensions=apq(sha256_hex(TOP))),
    ]
    for request in refusals:
        refused = await run(persisted, gateway, request, client_id=ERP)
        assert (code_of(refused), refused["status"]) == ("OPERATION_NOT_SAFELISTED", 403), \
            request
    assert counting_router.requests == []
    assert await db["persisted_queries"].count_documents({}) == 0


async def test_a_safelisted_id_with_another_text_is_a_hash_mismatch(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations,
        counting_router: CountingRouter) -> None:
    await _erp(db)
    refused = await run(persisted, gateway, GraphQLRequest(TOP, extensions=apq("erp-user-v1")),
                        client_id=ERP)
    assert code_of(refused) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert counting_router.requests == []


async def test_an_app_not_safelist_only_runs_anything_and_its_ids_resolve(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations) -> None:
    await _erp(db, safelist_only=False)
    assert await run(persisted, gateway, GraphQLRequest(TOP), client_id=ERP) == {
        "data": TOP_DATA, "status": 200}
    assert (await run(persisted, gateway, GraphQLRequest(
        None, {"id": "u1"}, extensions=apq("erp-user-v1")), client_id=ERP))["status"] == 200
    other = await run(persisted, gateway, GraphQLRequest(
        None, {"id": "u1"}, extensions=apq("erp-user-v1")), client_id=OTHER)
    assert code_of(other) == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert await run(persisted, gateway, GraphQLRequest(TOP), client_id=OTHER) == {
        "data": TOP_DATA, "status": 200}


async def test_a_flag_change_and_a_removal_reach_a_worker_within_its_cache_time(
        db: AsyncDatabase, gateway: Gateway, counting_router: CountingRouter) -> None:
    worker = persisted_for(db, gateway, policy_ttl_s=0.2)
    await _erp(db, safelist_only=False)
    assert (await run(worker, gateway, GraphQLRequest(TOP), client_id=ERP))["status"] == 200
    await admin.set_safelist_only(db, ERP, True)
    await asyncio.sleep(0.3)
    assert code_of(await run(worker, gateway, GraphQLRequest(TOP), client_id=ERP)) == \
        "OPERATION_NOT_SAFELISTED"
    reviews = GraphQLRequest(None, extensions=apq(sha256_hex(REVIEWS_BODY)))
    assert (await run(worker, gateway, reviews, client_id=ERP))["status"] == 200
    await admin.remove(db, ERP, ["Reviews"])
    await asyncio.sleep(0.3)
    assert code_of(await run(worker, gateway, reviews, client_id=ERP)) == \
        "OPERATION_NOT_SAFELISTED"


async def test_a_sandbox_apps_safelist_lives_in_the_sandbox_database(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations,
        counting_router: CountingRouter) -> None:
    sandbox = Databases.beside(db).sandbox
    try:
        await _erp(sandbox)
        assert await db["persisted_apps"].count_documents({}) == 0
        for where in (None, True):
            refused = await run(persisted, gateway, GraphQLRequest(TOP), client_id=ERP,
                                sandbox=where)
            assert code_of(refused) == "OPERATION_NOT_SAFELISTED"
        assert (await run(persisted, gateway, GraphQLRequest(TOP), client_id=ERP,
                          sandbox=False))["status"] == 200
        assert counting_router.requests and len(counting_router.requests) == 1
    finally:
        await db.client.drop_database(sandbox.name)


async def test_pushing_a_changed_body_under_an_id_leaves_the_old_text_unreachable(
        db: AsyncDatabase, gateway: Gateway, persisted: PersistedOperations) -> None:
    await _erp(db)
    old = "query Reviews { reviewCount }"
    changed = APOLLO_MANIFEST.replace("query Reviews { reviewCount }",
                                      "query Reviews { reviewCount topProducts(first: 1) { upc } }")
    result = await admin.push(db, ERP, read_manifest(changed))
    assert (result.added, result.replaced, result.unchanged) == (0, 1, 1)
    refused = await run(persisted, gateway, GraphQLRequest(old), client_id=ERP)
    assert code_of(refused) == "OPERATION_NOT_SAFELISTED"
    assert len(await admin.listed(db, ERP)) == 4
