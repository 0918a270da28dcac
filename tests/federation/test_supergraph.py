"""Loading supergraphs: the join model, the API schema, overrides and auth requirements."""

import pytest
from graphql import parse, print_schema, validate

from gateway.federation import SupergraphError

from .harness import Gateway, load_supergraph


def test_subgraphs_come_from_the_join_graph_enum() -> None:
    supergraph = load_supergraph("shop")
    assert set(supergraph.subgraphs) == {
        "accounts",
        "inventory",
        "loyalty",
        "products",
        "reviews",
        "shipping",
    }
    assert supergraph.subgraphs["reviews"].url == "http://reviews.local/graphql"


def test_entity_keys_requires_provides_and_external_are_modelled() -> None:
    supergraph = load_supergraph("shop")
    user = supergraph.types["User"]
    assert [key.fields for key in user.graphs["accounts"].keys] == ["id", "email"]
    assert [key.fields for key in user.graphs["loyalty"].keys] == ["email"]
    shipping = supergraph.field("Product", "shippingEstimate")
    assert shipping is not None and shipping.graphs["inventory"].requires is not None
    assert shipping.resolvers == ("inventory",)
    username = supergraph.field("User", "username")
    assert username is not None and not username.resolvable_in("reviews")
    assert supergraph.field("Review", "author").graphs["reviews"].provides is not None  # type: ignore[union-attr]


def test_progressive_override_goes_to_the_overriding_subgraph(shop: Gateway) -> None:
    label = shop.supergraph.field("Product", "stockLabel")
    assert label is not None and label.resolvers == ("inventory",)
    assert '"inventory"' in shop.plan('{ product(id: "p1") { stockLabel } }').to_text()


def test_api_schema_drops_machinery_and_inaccessible_elements() -> None:
    printed = print_schema(load_supergraph("shop").api_schema)
    assert "join__" not in printed and "link__" not in printed and "@" not in printed
    assert "supplierCode" not in printed
    assert "INTERNAL" not in printed
    assert "deliveryLabel: String!" in printed


def test_operations_using_inaccessible_fields_are_rejected() -> None:
    schema = load_supergraph("shop").api_schema
    errors = validate(schema, parse('{ product(id: "p1") { supplierCode } }'))
    assert errors and "supplierCode" in errors[0].message


def test_auth_requirements_stay_readable() -> None:
    supergraph = load_supergraph("shop")
    requirement = supergraph.field_requirements[("Product", "margin")]
    assert requirement.scopes == (("catalog:write",),)
    assert not requirement.authenticated


def test_interface_objects_and_membership_per_subgraph() -> None:
    supergraph = load_supergraph("media")
    assert supergraph.types["Media"].is_interface_object_in("ratings")
    assert not supergraph.types["Media"].is_interface_object_in("catalog")
    assert supergraph.possible_in_graph[("Media", "catalog")] == {"Book", "Movie"}
    assert supergraph.possible_in_graph[("Person", "people")] == {"Author", "Critic"}


@pytest.mark.parametrize(
    ("sdl", "mentions"),
    [
        ("type Query { a: Int }", "join"),
        ("type Query { a: Int", "invalid"),
    ],
)
def test_bad_supergraphs_raise_a_named_error(sdl: str, mentions: str) -> None:
    with pytest.raises(SupergraphError, match=mentions):
        load_supergraph_text(sdl)


def load_supergraph_text(sdl: str) -> None:
    from gateway.federation import Supergraph

    Supergraph.parse(sdl)
