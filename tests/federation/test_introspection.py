"""Introspection is answered from the API schema, alone or next to data fields."""

from .harness import Gateway


async def test_type_introspection_hides_federation_machinery(shop: Gateway) -> None:
    result = await shop.run('{ __type(name: "Product") { fields { name } } }')
    names = {f["name"] for f in result["data"]["__type"]["fields"]}
    assert {"id", "name", "inStock", "reviews", "deliveryLabel"} <= names
    assert "supplierCode" not in names
    assert shop.subgraphs.calls == []


async def test_schema_introspection_mixed_with_data(shop: Gateway) -> None:
    result = await shop.run('{ __schema { queryType { name } } product(id: "p1") { name } }')
    assert result == {
        "data": {"__schema": {"queryType": {"name": "Query"}}, "product": {"name": "Table"}}
    }
    types = await shop.run("{ __schema { types { name } } }")
    names = {t["name"] for t in types["data"]["__schema"]["types"]}
    assert "Product" in names
    assert not any(n.startswith(("join__", "link__")) for n in names)
