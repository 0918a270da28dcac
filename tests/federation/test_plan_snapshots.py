"""Plan text and JSON snapshots (regenerate with LOOPGATE_UPDATE_SNAPSHOTS=1)."""

import json
import os
from pathlib import Path

import pytest

from .harness import Gateway

SNAPSHOTS = Path(__file__).parent / "snapshots"
CASES = {
    "entity_chain": (
        "shop",
        "{ latestReviews { body author { name points } product { name inStock } } }",
    ),
    "requires_chain": ("shop", 'query Label { product(id: "p1") { deliveryLabel insurance } }'),
    "interface_object": ("media", "{ topRated { __typename rating ... on Book { pages } } }"),
    "mutation": ("shop", 'mutation { rename(id: "u1", name: "A") { name reviews { body } } }'),
}


def _check(name: str, suffix: str, actual: str) -> None:
    path = SNAPSHOTS / f"{name}.{suffix}"
    if os.environ.get("LOOPGATE_UPDATE_SNAPSHOTS"):
        path.write_text(actual)
    assert path.exists(), f"missing snapshot {path.name}; run with LOOPGATE_UPDATE_SNAPSHOTS=1"
    assert actual == path.read_text()


@pytest.mark.parametrize("name", sorted(CASES))
def test_plan_text_and_json_snapshots(name: str, request: pytest.FixtureRequest) -> None:
    fixture, query = CASES[name]
    gateway: Gateway = request.getfixturevalue(fixture)
    plan = gateway.plan(query)
    _check(name, "txt", plan.to_text() + "\n")
    _check(name, "json", json.dumps(plan.to_json(), indent=2) + "\n")


def test_plans_are_stable_across_planning_runs(shop: Gateway) -> None:
    query = CASES["entity_chain"][1]
    assert shop.plan(query).to_text() == shop.plan(query).to_text()
