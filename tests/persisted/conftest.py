"""Fixtures of the persisted-operation tests: a gateway over the in-process test subgraphs
that counts subgraph calls, and the persisted operations in front of it on a real database."""

from collections.abc import Mapping
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.federation import Supergraph
from gateway.persisted import PersistedOperationError, PersistedOperations
from gateway.service import Gateway, GraphQLRequest
from tests.gateway.conftest import CountingRouter, in_process_router, supergraph_sdl

TOP = "query Top { topProducts(first: 2) { upc name } }"
TOP_DATA = {"topProducts": [{"upc": "p1", "name": "Table"}, {"upc": "p2", "name": "Couch"}]}


@pytest.fixture
def counting_router() -> CountingRouter:
    return CountingRouter(in_process_router())


@pytest.fixture
def gateway(counting_router: CountingRouter) -> Gateway:
    return Gateway(Supergraph.parse(supergraph_sdl()), counting_router)


@pytest.fixture
def persisted(db: AsyncDatabase, gateway: Gateway) -> PersistedOperations:
    return persisted_for(db, gateway)


def persisted_for(db: AsyncDatabase | None, gateway: Gateway,
                  **options: Any) -> PersistedOperations:
    """Another worker's view of the same store (its own caches)."""
    return PersistedOperations(db, schema=lambda: gateway.supergraph.api_schema, **options)


def apq(sha256: str, version: object = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


async def run(persisted: PersistedOperations, gateway: Gateway, request: GraphQLRequest, *,
              client_id: str | None = "app_test", get: bool = False,
              sandbox: bool | None = None) -> Mapping[str, Any]:
    """What the endpoint does: resolve, then execute; a refusal becomes its error body with
    ``status`` added, so tests assert on both."""
    try:
        resolved = await persisted.resolve(request, client_id=client_id, sandbox=sandbox)
    except PersistedOperationError as exc:
        return {**exc.as_response(), "status": exc.status, "headers": dict(exc.headers)}
    result = await gateway.execute(resolved, allow_mutations=not get)
    return {**result.response, "status": 200}


def code_of(response: Mapping[str, Any]) -> str:
    [error] = response["errors"]
    return str(error["extensions"]["code"])
