"""Mutations: root fields run strictly in order, one step per subgraph change."""

from .harness import Gateway


async def test_mutation_root_fields_run_in_order(shop: Gateway) -> None:
    query = """
      mutation {
        first: rename(id: "u1", name: "Ada L") { name }
        review: addReview(productId: "p2", body: "Solid") { body product { name } }
        second: rename(id: "u2", name: "Bob B") { name }
      }
    """
    result = await shop.run(query)
    assert result == {
        "data": {
            "first": {"name": "Ada L"},
            "review": {"body": "Solid", "product": {"name": "Chair"}},
            "second": {"name": "Bob B"},
        }
    }
    assert [c.subgraph for c in shop.subgraphs.calls] == [
        "accounts",
        "reviews",
        "products",
        "accounts",
    ]
    assert shop.subgraphs.calls[0].document.definitions[0].operation.value == "mutation"
    assert shop.subgraphs.calls[2].document.definitions[0].operation.value == "query"


async def test_consecutive_fields_of_one_subgraph_share_a_fetch(shop: Gateway) -> None:
    plan = shop.plan(
        'mutation { a: rename(id: "u1", name: "x") { id } b: rename(id: "u2", name: "y") { id } }'
    )
    assert plan.to_text().count("Fetch(") == 1


async def test_mutation_plan_is_a_sequence(shop: Gateway) -> None:
    plan = shop.plan(
        'mutation { a: rename(id: "u1", name: "x") { id } '
        'b: addReview(productId: "p1", body: "b") { id } }'
    )
    assert plan.to_json()["node"]["kind"] == "Sequence"
