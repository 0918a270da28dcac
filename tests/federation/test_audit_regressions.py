"""Regressions from the graphql-hive federation-gateway-audit, on small fixtures of our own.

partial-union-complex: a union whose members differ per subgraph (``Item`` is
``Both | LeftOnly`` in left, ``Both | RightOnly`` in right), below a shareable path. Where the
path could be served by both subgraphs (a shareable field of an entity both can jump into, or
a shared root field), only the members both know are selected, as Apollo Router and Hive
Router answer: the fields of the other members come back null. Where only one subgraph can
serve the path (a field of that subgraph alone, or a value type reached from it), all of its
members are kept (the audit's partial-union case).
"""

from typing import Any

import pytest

from .harness import Gateway, Subgraphs, build_subgraph, load_supergraph

BOTH = {"__typename": "Both", "label": "both"}
LEFT_ONLY = {"__typename": "LeftOnly", "l": "left"}
RIGHT_ONLY = {"__typename": "RightOnly", "r": "right"}
SELECTION = (
    "items { __typename ... on Both { label } ... on LeftOnly { l } ... on RightOnly { r } }"
)


def _box(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"__typename": "Box", "id": "b1", "panel": {"items": items}}


@pytest.fixture
def gateway() -> Gateway:
    left = build_subgraph(
        "partial_union",
        "left",
        {
            "leftBox": _box([BOTH, LEFT_ONLY]),
            "sharedBox": _box([BOTH]),
            "leftPanel": {"items": [BOTH, LEFT_ONLY]},
        },
        {"Box": lambda rep: _box([BOTH, LEFT_ONLY])},
    )
    right_box = {**_box([BOTH, RIGHT_ONLY]), "rightPanel": {"items": [BOTH, RIGHT_ONLY]}}
    right = build_subgraph(
        "partial_union",
        "right",
        {"rightBox": right_box, "sharedBox": _box([BOTH])},
        {"Box": lambda rep: right_box},
    )
    return Gateway(load_supergraph("partial_union"), Subgraphs({"left": left, "right": right}))


async def test_shareable_path_keeps_only_members_common_to_both_subgraphs(
    gateway: Gateway,
) -> None:
    result = await gateway.run(f"{{ leftBox {{ panel {{ {SELECTION} }} }} }}")
    items = [{"__typename": "Both", "label": "both"}, {"__typename": "LeftOnly", "l": None}]
    assert result == {"data": {"leftBox": {"panel": {"items": items}}}}
    (call,) = gateway.subgraphs.calls
    assert "LeftOnly" not in call.query and "RightOnly" not in call.query


async def test_same_from_the_other_side(gateway: Gateway) -> None:
    result = await gateway.run(f"{{ rightBox {{ panel {{ {SELECTION} }} }} }}")
    items = [{"__typename": "Both", "label": "both"}, {"__typename": "RightOnly", "r": None}]
    assert result == {"data": {"rightBox": {"panel": {"items": items}}}}


async def test_shared_root_field_narrows_too(gateway: Gateway) -> None:
    result = await gateway.run(f"{{ sharedBox {{ panel {{ {SELECTION} }} }} }}")
    assert result == {"data": {"sharedBox": {"panel": {"items": [BOTH]}}}}


async def test_field_of_one_subgraph_keeps_that_subgraphs_members(gateway: Gateway) -> None:
    result = await gateway.run(f"{{ leftBox {{ rightPanel {{ {SELECTION} }} }} }}")
    items = [{"__typename": "Both", "label": "both"}, {"__typename": "RightOnly", "r": "right"}]
    assert result == {"data": {"leftBox": {"rightPanel": {"items": items}}}}
    assert [call.subgraph for call in gateway.subgraphs.calls] == ["left", "right"]


async def test_value_type_reached_from_one_subgraph_keeps_all_its_members(
    gateway: Gateway,
) -> None:
    result = await gateway.run(f"{{ leftPanel {{ {SELECTION} }} }}")
    items = [{"__typename": "Both", "label": "both"}, {"__typename": "LeftOnly", "l": "left"}]
    assert result == {"data": {"leftPanel": {"items": items}}}
