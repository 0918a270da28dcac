"""Deadlines: planning and execution stop cleanly when the request's time is up."""

import asyncio
import time

import pytest
from graphql import parse

from gateway.federation import PlanningError, execute_plan

from .harness import Gateway


def test_planning_past_its_deadline_fails_with_a_planning_error(shop: Gateway) -> None:
    with pytest.raises(PlanningError, match="deadline"):
        shop.planner.plan(parse("{ topProducts { name } }"), deadline=time.monotonic() - 1)


async def test_slow_subgraph_past_the_deadline_gives_partial_data(shop: Gateway) -> None:
    async def slow_inventory(request):  # type: ignore[no-untyped-def]
        if request.subgraph == "inventory":
            await asyncio.sleep(5)
        return await shop.subgraphs.fetch(request)

    plan = shop.plan("{ topProducts(first: 1) { name stockLabel } }")
    started = time.monotonic()
    result = await execute_plan(plan, {}, slow_inventory, deadline=started + 0.2)
    assert result["data"] == {"topProducts": [{"name": "Table", "stockLabel": None}]}
    assert "deadline" in result["errors"][0]["message"]
