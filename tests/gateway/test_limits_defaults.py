"""The default limits let every documented use through: README examples, a partner's
realistic query and the bulk ERP paths, run on the real platform graph (in-process, on a real
database), each reaching its subgraphs."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.requests import Request

from gateway.authorization.wiring import PRINCIPAL
from gateway.http.app import create_gateway_app
from gateway.limits import OperationLimits
from gateway.limits.caller import principal_caller
from gateway.service import Outcome
from schema.kernel.mongo import Mongo
from tests.gateway.test_limits import PARTNER, cost_of, platform_gateway, platform_supergraph, run

README = Path(__file__).resolve().parents[2] / "README.md"

PARTNER_QUERY = """
query StoresNearMe($near: GeoPointInput!) {
  viewer { clientId partner { name } }
  nearbyStores(near: $near, radiusMeters: 5000, first: 20, filter: {service: PICKUP}) {
    pageInfo { hasNextPage endCursor }
    edges {
      distanceMeters
      node {
        id name phone openNow services
        address { line1 city district }
        location { lat lng }
        openingHours { dayOfWeek opens closes }
        inventory(first: 20) {
          edges { node { available updatedAt product { sku name price { amount currency } } } }
        }
      }
    }
  }
  products(first: 50) {
    edges {
      node {
        id sku name price { amount currency }
        availability(near: $near, first: 5) { distanceMeters available store { name } }
      }
    }
  }
}
"""

FEED = """query Feed($after: String) {
  inventoryChanges(first: 1000, after: $after) {
    changes { store { id } product { sku } onHand reserved available countedAt updatedAt }
    cursor hasMore
  }
}"""

SYNC = """mutation Sync($input: SyncInventoryInput!) {
  syncInventory(input: $input) {
    applied stale unknownSku invalid conflicts
    problems { sku status onHand message }
    userErrors { code field message }
  }
}"""


def readme_queries() -> list[str]:
    """Every GraphQL operation in the README: ``curl -d`` bodies and ``graphql`` blocks."""
    text = README.read_text(encoding="utf-8")
    bodies = [json.loads(body)["query"] for body in re.findall(r"-d '(\{.*?\})'", text)]
    blocks = re.findall(r"```graphql\n(.*?)```", text, flags=re.DOTALL)
    return bodies + blocks


def test_the_readme_has_examples_to_check() -> None:
    assert readme_queries()


@pytest.mark.parametrize("query", readme_queries())
async def test_every_readme_example_passes_the_default_limits(mongo: Mongo, query: str) -> None:
    gateway, router = platform_gateway(mongo)
    result = await run(gateway, query)
    assert result.outcome is Outcome.EXECUTED, result.response
    assert router.requests


async def test_a_partners_nearby_stock_and_price_query_passes(mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    result = await run(gateway, PARTNER_QUERY, {"near": {"lat": 31.2304, "lng": 121.4737}})
    assert result.outcome is Outcome.EXECUTED, result.response
    assert {r.subgraph for r in router.requests} >= {"partners", "maps", "catalog"}
    cost = cost_of(PARTNER_QUERY, {"near": {"lat": 31.2, "lng": 121.4}}, platform_supergraph())
    assert 1_000 < cost < OperationLimits().cost


async def test_the_change_feed_at_1000_a_page_passes(mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    result = await run(gateway, FEED, {"after": None})
    assert result.outcome is Outcome.EXECUTED, result.response
    assert result.response["data"]["inventoryChanges"]["changes"] == []
    assert [r.subgraph for r in router.requests] == ["catalog"]


async def test_a_10000_item_sync_with_variables_passes_over_http(mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)

    async def as_partner(_request: Request) -> dict[str, Any]:
        return {PRINCIPAL: PARTNER}

    app = create_gateway_app(gateway, context_for=as_partner, caller_for=principal_caller)
    items = [{"sku": f"QM-SKU-{n:06d}", "onHand": n % 500,
              "occurredAt": "2026-12-06T02:00:00.000Z"} for n in range(10_000)]
    variables = {"input": {"storeCode": "no-such-store", "idempotencyKey": "erp-limits-1",
                           "items": items}}
    assert cost_of(SYNC, variables, platform_supergraph()) == 130   # as the README says
    body = orjson.dumps({"query": SYNC, "operationName": "Sync", "variables": variables})
    assert len(body) > 700_000
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        answer = await client.post("/graphql", content=body,
                                   headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text
    payload = answer.json()
    assert "errors" not in payload, payload
    assert payload["data"]["syncInventory"]["userErrors"][0]["field"][0] == "input"
    [sync] = router.requests
    assert len(sync.variables["input"]["items"]) == 10_000
