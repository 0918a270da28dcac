"""Persisted operations through the real GraphQL endpoint: statuses, codes and headers as
Apollo clients expect them, GET for hash-only queries, and no subgraph called on a refusal."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.requests import Request

from gateway.authorization.wiring import PRINCIPAL
from gateway.http.app import graphql_route
from gateway.http.endpoint import GraphQLEndpoint
from gateway.persisted import admin
from gateway.persisted.extension import sha256_hex
from gateway.persisted.manifest import read_manifest
from gateway.service import Gateway
from schema.kernel.principal import Principal
from tests.gateway.conftest import CountingRouter
from tests.persisted.conftest import TOP, TOP_DATA, apq, persisted_for
from tests.persisted.manifests import APOLLO_MANIFEST, REVIEWS_BODY

ERP = "app_01JERPERPERPERPERPERPERPER"
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def _principal_from_header(request: Request) -> dict[str, Any]:
    client_id = request.headers.get("x-app")
    if client_id is None:
        return {}
    return {PRINCIPAL: Principal(client_id=client_id, partner_id="ptn_1")}


@pytest.fixture
async def http(db: AsyncDatabase, gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    endpoint = GraphQLEndpoint(gateway, context_for=_principal_from_header,
                               persisted=persisted_for(db, gateway))
    app = Starlette(routes=[graphql_route(endpoint)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway",
                                 headers={"accept": GRAPHQL_RESPONSE}) as client:
        yield client


def _get(http: httpx.AsyncClient, extensions: dict[str, Any], **headers: str) -> Any:
    return http.get("/graphql", params={"extensions": orjson.dumps(extensions).decode()},
                    headers=headers)


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_apq_over_http_as_apollo_clients_see_it(
        http: httpx.AsyncClient, counting_router: CountingRouter) -> None:
    extensions = apq(sha256_hex(TOP))
    missing = await _get(http, extensions)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert _code(missing) == "PERSISTED_QUERY_NOT_FOUND"
    assert missing.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert counting_router.requests == []

    registered = await http.post("/graphql", json={"query": TOP, "extensions": extensions},
                                 headers={"x-app": "app_web"})
    assert (registered.status_code, registered.json()["data"]) == (200, TOP_DATA)
    by_hash = await _get(http, extensions)
    assert (by_hash.status_code, by_hash.json()["data"]) == (200, TOP_DATA)


async def test_poisoned_and_malformed_hashes_over_http(
        db: AsyncDatabase, http: httpx.AsyncClient, counting_router: CountingRouter) -> None:
    poisoned = await http.post("/graphql", json={
        "query": TOP, "extensions": apq(sha256_hex("{ reviewCount }"))},
        headers={"x-app": "app_web"})
    assert (poisoned.status_code, _code(poisoned)) == (400, "PERSISTED_QUERY_HASH_MISMATCH")
    malformed = await _get(http, apq(sha256_hex(TOP), version=2))
    assert (malformed.status_code, _code(malformed)) == (400, "PERSISTED_QUERY_NOT_SUPPORTED")
    assert counting_router.requests == []
    assert await db["persisted_queries"].count_documents({}) == 0


async def test_a_safelist_only_app_over_http(
        db: AsyncDatabase, http: httpx.AsyncClient, counting_router: CountingRouter) -> None:
    await admin.push(db, ERP, read_manifest(APOLLO_MANIFEST), True)
    refused = await http.post("/graphql", json={"query": TOP}, headers={"x-app": ERP})
    assert (refused.status_code, _code(refused)) == (403, "OPERATION_NOT_SAFELISTED")
    unknown = await _get(http, apq(sha256_hex(TOP)), **{"x-app": ERP})
    assert (unknown.status_code, _code(unknown)) == (403, "OPERATION_NOT_SAFELISTED")
    assert counting_router.requests == []
    by_id = await _get(http, apq(sha256_hex(REVIEWS_BODY)), **{"x-app": ERP})
    assert (by_id.status_code, by_id.json()["data"]) == (200, {"reviewCount": 3})
    anyone_else = await http.post("/graphql", json={"query": TOP}, headers={"x-app": "app_web"})
    assert (anyone_else.status_code, anyone_else.json()["data"]) == (200, TOP_DATA)
