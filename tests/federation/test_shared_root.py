"""Shared (shareable) root fields: one field answered by several subgraphs, merged."""

from .harness import Gateway, Subgraphs, build_subgraph, load_supergraph


def _split() -> Gateway:
    names = build_subgraph(
        "split",
        "names",
        {"product": lambda _i: {"id": "1", "name": {"brand": "B", "model": "M"}}},
        {},
    )
    prices = build_subgraph(
        "split",
        "prices",
        {"product": lambda _i: {"id": "1", "price": {"amount": 9, "currency": "EUR"}}},
        {},
    )
    return Gateway(load_supergraph("split"), Subgraphs({"names": names, "prices": prices}))


async def test_value_type_fields_from_two_subgraphs_are_merged() -> None:
    gateway = _split()
    result = await gateway.run("{ product { id name { brand } price { amount currency } } }")
    assert result == {
        "data": {
            "product": {
                "id": "1",
                "name": {"brand": "B"},
                "price": {"amount": 9, "currency": "EUR"},
            }
        }
    }
    assert sorted(c.subgraph for c in gateway.subgraphs.calls) == ["names", "prices"]


async def test_shared_root_field_goes_to_one_subgraph_when_it_can() -> None:
    gateway = _split()
    await gateway.run("{ product { id price { amount } } }")
    assert [c.subgraph for c in gateway.subgraphs.calls] == ["prices"]
