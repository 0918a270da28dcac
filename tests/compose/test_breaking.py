"""``breaking_changes``: what a new supergraph would break for clients of the previous one."""

import pytest

from gateway.compose import breaking_changes

PREVIOUS = """
type Query {
  store(id: ID!, near: String): Store stores(first: Int): [Store!]! hidden: Int @inaccessible
}
type Store { id: ID! name: String! rating: Float kind: Kind tags: [String!] }
enum Kind { SHOP KIOSK }
union Result = Store | Kiosk
type Kiosk { id: ID! }
input Filter { city: String limit: Int! }
type Mutation { save(filter: Filter): Boolean }
scalar join__FieldSet
"""


def changes(old: str, new: str) -> list[tuple[str, str]]:
    return [(c.code, c.coordinate) for c in breaking_changes(PREVIOUS, PREVIOUS.replace(old, new))]


def test_identical_supergraphs_have_no_breaking_change() -> None:
    assert breaking_changes(PREVIOUS, PREVIOUS) == []


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("type Kiosk { id: ID! }", "", [("TYPE_REMOVED", "Kiosk")]),
    (" rating: Float", "", [("FIELD_REMOVED", "Store.rating")]),
    ("rating: Float", "rating: Int", [("FIELD_CHANGED_TYPE", "Store.rating")]),
    ("name: String!", "name: String", [("FIELD_CHANGED_TYPE", "Store.name")]),
    ("tags: [String!]", "tags: [String]", [("FIELD_CHANGED_TYPE", "Store.tags")]),
    ("near: String", "near: String!", [("ARG_CHANGED_TYPE", "Query.store(near:)")]),
    (", near: String", "", [("ARG_REMOVED", "Query.store(near:)")]),
    ("stores(first: Int)", "stores(first: Int, after: String!)",
     [("REQUIRED_ARG_ADDED", "Query.stores(after:)")]),
    ("input Filter { city: String", "input Filter { city: String!",
     [("FIELD_CHANGED_TYPE", "Filter.city")]),
    ("input Filter { city: String", "input Filter { city: String zone: ID!",
     [("NON_NULLABLE_FIELD_ADDED_TO_INPUT_OBJECT", "Filter.zone")]),
    ("enum Kind { SHOP KIOSK }", "enum Kind { SHOP }", [("VALUE_REMOVED_FROM_ENUM", "Kind.KIOSK")]),
    ("Store | Kiosk", "Store", [("TYPE_REMOVED_FROM_UNION", "Result.Kiosk")]),
    ("enum Kind { SHOP KIOSK }", "scalar Kind", [("TYPE_CHANGED_KIND", "Kind")]),
    ("name: String!", "name: String! @inaccessible", [("FIELD_REMOVED", "Store.name")]),
])
def test_breaking(old: str, new: str, expected: list[tuple[str, str]]) -> None:
    assert changes(old, new) == expected


@pytest.mark.parametrize(("old", "new"), [
    ("rating: Float", "rating: Float!"),
    ("limit: Int!", "limit: Int"),
    ("stores(first: Int)", "stores(first: Int, after: String)"),
    ("enum Kind { SHOP KIOSK }", "enum Kind { SHOP KIOSK VENDING }"),
    ("hidden: Int @inaccessible", ""),
    ("scalar join__FieldSet", ""),
])
def test_safe(old: str, new: str) -> None:
    assert changes(old, new) == []
