"""Subgraph-level type differences: conflicting field types in one fetch, inaccessible types."""

from .harness import Gateway, Subgraphs, build_subgraph, load_supergraph

ACCOUNTS = [
    {"__typename": "User", "id": "u1", "name": "Ada"},
    {"__typename": "Admin", "id": None, "name": "root"},
]


def _gateway() -> Gateway:
    b = build_subgraph(
        "mismatch",
        "b",
        {"accounts": lambda _i: ACCOUNTS, "bots": lambda _i: [{"__typename": "Robot", "id": "r1"}]},
        {"User": lambda rep: next(a for a in ACCOUNTS if a["id"] == rep["id"])},
    )
    a = build_subgraph("mismatch", "a", {}, {"User": lambda rep: {**rep, "email": "ada@x"}})
    return Gateway(load_supergraph("mismatch"), Subgraphs({"a": a, "b": b}))


async def test_same_key_with_different_subgraph_types_is_aliased_and_restored() -> None:
    gateway = _gateway()
    query = "{ accounts { ... on User { id name email } ... on Admin { id name } } }"
    result = await gateway.run(query)
    assert result == {
        "data": {
            "accounts": [
                {"id": "u1", "name": "Ada", "email": "ada@x"},
                {"id": None, "name": "root"},
            ]
        }
    }
    sent = gateway.subgraphs.called("b")[0].query
    assert "id__lg_" in sent


async def test_objects_of_inaccessible_types_become_null() -> None:
    gateway = _gateway()
    result = await gateway.run("{ bots { __typename } }")
    assert result == {"data": {"bots": [None]}}
