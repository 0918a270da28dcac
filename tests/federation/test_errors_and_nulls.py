"""Partial failures: subgraph errors at client paths, unavailable subgraphs, null bubbling,
null keys and null entities."""

from gateway.federation import execute_plan
from gateway.federation.executor.entities import representations
from gateway.federation.plan import EntityInputSpec, InputField

from .harness import Gateway


async def test_entity_fetch_error_path_is_rewritten_to_the_response_path(shop: Gateway) -> None:
    result = await shop.run("{ topProducts(first: 2) { name reviews { body } } }")
    assert result["data"]["topProducts"][1]["reviews"] == [{"body": None}, {"body": "Anonymous"}]
    assert [e["path"] for e in result["errors"]] == [["topProducts", 1, "reviews", 0, "body"]]
    assert result["errors"][0]["message"] == "review r3 body is unavailable"


async def test_root_fetch_error_keeps_its_path(shop: Gateway) -> None:
    result = await shop.run("{ latestReviews { id body } }")
    assert result["errors"][0]["path"] == ["latestReviews", 2, "body"]
    assert result["data"]["latestReviews"][2] == {"id": "r3", "body": None}


async def test_unavailable_subgraph_gives_partial_data_and_an_error(shop: Gateway) -> None:
    shop.subgraphs.down.add("inventory")
    result = await shop.run("{ topProducts(first: 1) { name stockLabel } }")
    assert result["data"] == {"topProducts": [{"name": "Table", "stockLabel": None}]}
    assert result["errors"][0]["extensions"]["serviceName"] == "inventory"


async def test_null_bubbles_to_the_nearest_nullable_parent(shop: Gateway) -> None:
    """accounts doesn't know u404: User.email is non-null, so that author becomes null."""
    result = await shop.run("{ latestReviews { id author { email } } }")
    authors = {r["id"]: r["author"] for r in result["data"]["latestReviews"]}
    assert authors["r1"] == {"email": "ada@example.com"}
    assert authors["r5"] is None
    assert result["errors"] == [
        {
            "message": "Cannot return null for non-nullable field User.email.",
            "path": ["latestReviews", 4, "author", "email"],
        }
    ]


async def test_non_null_root_failure_nulls_data(shop: Gateway) -> None:
    shop.subgraphs.down.add("reviews")
    result = await shop.run("{ latestReviews { id } }")
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"


async def test_null_keys_and_null_entities_are_not_sent(shop: Gateway) -> None:
    result = await shop.run("{ latestReviews { author { name } } }")
    names = [r["author"] and r["author"]["name"] for r in result["data"]["latestReviews"]]
    assert names == ["Ada", None, "Ada", None, None]
    reps = shop.subgraphs.called("accounts")[0].variables["representations"]
    assert [rep["id"] for rep in reps] == ["u1", "u2", "u404"]


async def test_inaccessible_enum_value_becomes_null(shop: Gateway) -> None:
    result = await shop.run("{ topProducts { category } }")
    assert result["data"]["topProducts"] == [
        {"category": "FOOD"},
        {"category": "DRINK"},
        {"category": None},
    ]


async def test_a_fetch_function_crash_becomes_an_error_not_an_exception(shop: Gateway) -> None:
    async def broken(request):  # type: ignore[no-untyped-def]
        if request.subgraph == "inventory":
            raise RuntimeError("boom")
        return await shop.subgraphs.fetch(request)

    plan = shop.plan("{ topProducts(first: 1) { name stockLabel } }")
    result = await execute_plan(plan, {}, broken)
    assert result["data"] == {"topProducts": [{"name": "Table", "stockLabel": None}]}
    assert "boom" in result["errors"][0]["message"]


async def test_context_reaches_every_subgraph_request(shop: Gateway) -> None:
    await shop.run("{ topProducts(first: 1) { name inStock } }", context={"principal": "p"})
    assert [dict(c.context) for c in shop.subgraphs.calls] == [{"principal": "p"}] * 2


def test_representations_skip_null_keys_and_share_duplicates() -> None:
    spec = EntityInputSpec("User", (InputField("id", "id"),), ("id",))
    first = {"__typename": "User", "id": "u1"}
    second = {"__typename": "User", "id": "u1"}
    null_key = {"__typename": "User", "id": None}
    other = {"__typename": "Bot", "id": "b"}
    reps, targets = representations([first, second, null_key, other], {"User": spec})
    assert reps == [{"__typename": "User", "id": "u1"}]
    assert targets == [[first, second]]
