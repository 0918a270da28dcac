"""@requires: plain, with arguments, nested selections, and requires-of-requires."""

from .harness import Gateway


async def test_requires_sends_required_fields_from_another_subgraph(shop: Gateway) -> None:
    result = await shop.run('{ product(id: "p1") { shippingEstimate } }')
    assert result == {"data": {"product": {"shippingEstimate": 100}}}
    reps = shop.subgraphs.called("inventory")[0].variables["representations"]
    assert reps == [{"__typename": "Product", "id": "p1", "price": 100, "weight": 10}]


async def test_requires_with_arguments_does_not_clash_with_the_clients_selection(
    shop: Gateway,
) -> None:
    query = '{ product(id: "p1") { priceIn(currency: "CNY") insurance } }'
    result = await shop.run(query)
    assert result == {"data": {"product": {"priceIn": 100, "insurance": 20}}}
    reps = shop.subgraphs.called("inventory")[0].variables["representations"]
    assert reps == [{"__typename": "Product", "id": "p1", "priceIn": 200}]


async def test_nested_requires(shop: Gateway) -> None:
    result = await shop.run("{ topProducts { volume } }")
    assert result == {"data": {"topProducts": [{"volume": 6}, {"volume": 1}, {"volume": 20}]}}


async def test_requires_of_requires_runs_three_steps(shop: Gateway) -> None:
    result = await shop.run('{ product(id: "p2") { name deliveryLabel } }')
    assert result == {"data": {"product": {"name": "Chair", "deliveryLabel": "ships for 25"}}}
    assert [c.subgraph for c in shop.subgraphs.calls] == ["products", "inventory", "shipping"]
    reps = shop.subgraphs.called("shipping")[0].variables["representations"]
    assert reps == [{"__typename": "Product", "id": "p2", "shippingEstimate": 25}]


async def test_required_fields_are_not_leaked_into_the_response(shop: Gateway) -> None:
    result = await shop.run('{ product(id: "p1") { shippingEstimate deliveryLabel } }')
    assert result["data"]["product"] == {"shippingEstimate": 100, "deliveryLabel": "ships for 100"}


async def test_requires_from_two_subgraphs_share_one_fetch_of_the_requiring_subgraph(
    shop: Gateway,
) -> None:
    result = await shop.run('{ product(id: "p1") { deliveryLabel giftNote } }')
    assert result == {
        "data": {"product": {"deliveryLabel": "ships for 100", "giftNote": "2 reviews"}}
    }
    assert len(shop.subgraphs.called("shipping")) == 1
    reps = shop.subgraphs.called("shipping")[0].variables["representations"]
    assert reps == [
        {"__typename": "Product", "id": "p1", "shippingEstimate": 100, "reviewCount": 2}
    ]
