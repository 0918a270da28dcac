"""Optimisation passes over fetch groups (unit level)."""

from gateway.federation.planner.groups import GroupRegistry
from gateway.federation.planner.passes import optimise


def test_fetches_left_empty_are_dropped_with_their_dependencies() -> None:
    registry = GroupRegistry()
    root = registry.root("products", 0)
    root.tree.add_field("topProducts", "topProducts", has_children=True)
    abandoned = registry.entity_child(root, "inventory", ("topProducts", "@"), set())
    kept = registry.entity_child(root, "reviews", ("topProducts", "@"), {abandoned})
    kept.tree.fragment("Product").add_field("reviewCount", "reviewCount")
    groups = optimise(registry.groups)
    assert groups == [root, kept]
    assert kept.deps == set()
