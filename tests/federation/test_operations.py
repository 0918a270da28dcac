"""Operation features: aliases, variables and defaults, @skip/@include, fragments, __typename."""

from .harness import Gateway


async def test_aliases_survive_entity_jumps(shop: Gateway) -> None:
    query = """
      { a: product(id: "p1") { label: name stock: inStock } b: product(id: "p2") { label: name } }
    """
    result = await shop.run(query)
    assert result == {"data": {"a": {"label": "Table", "stock": True}, "b": {"label": "Chair"}}}


async def test_variables_and_their_defaults_are_forwarded(shop: Gateway) -> None:
    query = """
      query Top($n: Int = 1, $id: ID!) { topProducts(first: $n) { id } product(id: $id) { name } }
    """
    result = await shop.run(query, {"id": "p2"})
    assert result == {"data": {"topProducts": [{"id": "p1"}], "product": {"name": "Chair"}}}
    assert shop.subgraphs.calls[0].variables == {"n": 1, "id": "p2"}
    assert shop.subgraphs.calls[0].operation_name == "Top__products__0"


async def test_skip_and_include_with_variables(shop: Gateway) -> None:
    query = """
      query ($withStock: Boolean!, $noName: Boolean = false) {
        product(id: "p1") {
          name @skip(if: $noName)
          inStock @include(if: $withStock)
          ... @include(if: $withStock) { reviewCount }
        }
      }
    """
    without = await shop.run(query, {"withStock": False})
    assert without == {"data": {"product": {"name": "Table"}}}
    with_stock = await shop.run(query, {"withStock": True, "noName": True})
    assert with_stock == {"data": {"product": {"inStock": True, "reviewCount": 2}}}


async def test_fetch_wholly_under_an_excluded_condition_is_not_sent(shop: Gateway) -> None:
    query = """
      query ($stock: Boolean!) { product(id: "p1") { name ... @include(if: $stock) { inStock } } }
    """
    assert 'Fetch(service: "inventory", include: "$stock")' in shop.plan(query).to_text()
    result = await shop.run(query, {"stock": False})
    assert result == {"data": {"product": {"name": "Table"}}}
    assert [c.subgraph for c in shop.subgraphs.calls] == ["products"]
    included = await shop.run(query, {"stock": True})
    assert included == {"data": {"product": {"name": "Table", "inStock": True}}}


async def test_literal_skip_removes_the_fetch(shop: Gateway) -> None:
    plan = shop.plan('{ product(id: "p1") { name inStock @skip(if: true) } }')
    assert "inventory" not in plan.to_text()


async def test_named_fragments_and_typename_everywhere(shop: Gateway) -> None:
    query = """
      query {
        __typename
        product(id: "p1") { __typename ...Stock reviews { __typename author { __typename } } }
      }
      fragment Stock on Product { inStock name }
    """
    result = await shop.run(query)
    product = result["data"]["product"]
    assert result["data"]["__typename"] == "Query"
    assert product["__typename"] == "Product"
    assert product["inStock"] is True
    assert product["reviews"][0] == {"__typename": "Review", "author": {"__typename": "User"}}


async def test_operation_name_selects_the_operation(shop: Gateway) -> None:
    query = 'query A { me { name } } query B { product(id: "p3") { name } }'
    result = await shop.run(query, operation_name="B")
    assert result == {"data": {"product": {"name": "Lamp"}}}
