"""Entity jumps: root → entity fetch, chains across subgraphs, both directions, batching."""

import asyncio
from collections.abc import Mapping
from typing import Any

from gateway.federation import execute_plan
from gateway.transports.base import SubgraphRequest

from .harness import Gateway


async def test_jump_from_root_to_other_subgraph(shop: Gateway) -> None:
    result = await shop.run("{ topProducts(first: 2) { name reviewCount inStock } }")
    assert result == {
        "data": {
            "topProducts": [
                {"name": "Table", "reviewCount": 2, "inStock": True},
                {"name": "Chair", "reviewCount": 2, "inStock": True},
            ]
        }
    }


async def test_chain_of_jumps_and_back(shop: Gateway) -> None:
    query = """
      { product(id: "p1") { name reviews { rating author { name reviews { product { name } } } } } }
    """
    result = await shop.run(query)
    first = result["data"]["product"]["reviews"][0]
    assert result["data"]["product"]["name"] == "Table"
    assert first["author"]["name"] == "Ada"
    assert [r["product"]["name"] for r in first["author"]["reviews"]] == ["Table", "Chair"]


async def test_one_batched_deduplicated_entities_call_per_subgraph_and_step(shop: Gateway) -> None:
    await shop.run("{ latestReviews { product { name } author { name } } }")
    products = shop.subgraphs.called("products")
    assert len(products) == 1
    representations = products[0].variables["representations"]
    assert representations == [
        {"__typename": "Product", "id": "p1"},
        {"__typename": "Product", "id": "p2"},
        {"__typename": "Product", "id": "p3"},
    ]
    accounts = shop.subgraphs.called("accounts")
    assert len(accounts) == 1
    assert [rep["id"] for rep in accounts[0].variables["representations"]] == ["u1", "u2", "u404"]


async def test_keys_differing_between_subgraphs_chain_through_a_third(shop: Gateway) -> None:
    """reviews knows User by id, loyalty by email: accounts turns one key into the other."""
    result = await shop.run("{ latestReviews { author { points } } }")
    points = [r["author"] and r["author"]["points"] for r in result["data"]["latestReviews"]]
    assert points == [120, 7, 120, None, None]
    order = [call.subgraph for call in shop.subgraphs.calls]
    assert order == ["reviews", "accounts", "loyalty"]
    assert shop.subgraphs.called("loyalty")[0].variables["representations"] == [
        {"__typename": "User", "email": "ada@example.com"},
        {"__typename": "User", "email": "bob@example.com"},
    ]


async def test_independent_fetches_share_a_parallel_step(shop: Gateway) -> None:
    plan = shop.plan("{ topProducts { reviewCount inStock } }")
    text = plan.to_text()
    assert "Parallel {" in text
    assert text.count('Flatten(path: "topProducts.@")') == 2


async def test_entity_fetch_operations_only_use_the_subgraphs_types(shop: Gateway) -> None:
    """The harness validates every fetch against its subgraph schema; this crosses four."""
    result = await shop.run(
        "{ me { username reviews { product { name inStock deliveryLabel } } } }"
    )
    names = [r["product"]["name"] for r in result["data"]["me"]["reviews"]]
    assert names == ["Table", "Chair"]
    assert "errors" not in result


async def test_a_chain_of_fetches_does_not_wait_for_an_unrelated_slow_one(shop: Gateway) -> None:
    finished: list[str] = []

    async def fetch(request: SubgraphRequest) -> Mapping[str, Any]:
        if request.subgraph == "products":
            await asyncio.sleep(0.05)
        response = await shop.subgraphs.fetch(request)
        finished.append(request.subgraph)
        return response

    plan = shop.plan("{ latestReviews { author { points } product { name } } }")
    result = await execute_plan(plan, {}, fetch)
    assert result["data"]["latestReviews"][0] == {
        "author": {"points": 120},
        "product": {"name": "Table"},
    }
    assert finished.index("loyalty") < finished.index("products")
