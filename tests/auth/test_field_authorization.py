"""Field-level authorization over a supergraph with guarded fields in three subgraphs.

Each case prunes an operation for a caller, checks that the pruned document is still valid
against the API schema, executes it over fixture data (as the gateway would execute the
plan), writes nulls and errors back, and compares the whole response.
"""

from pathlib import Path
from typing import Any

import pytest
from graphql import execute, parse, print_ast, validate

from gateway.authorization import (
    AuthDirectiveError,
    AuthorizationPolicy,
    Requirement,
    apply_unauthorized,
    authorize_operation,
    read_requirements,
)
from gateway.federation import QueryPlanner
from gateway.federation.supergraph import Supergraph
from schema.kernel.principal import Principal

SDL = (Path(__file__).parent / "supergraph_auth.graphql").read_text()
SUPERGRAPH = parse(SDL)
API = Supergraph.parse(SDL).api_schema
PLANNER = QueryPlanner(Supergraph.parse(SDL))
POLICY = AuthorizationPolicy.from_supergraph(SUPERGRAPH, API)

DATA: dict[str, Any] = {
    "stores": [
        {"__typename": "Store", "id": "sto_1", "name": "North", "note": "n1", "phone": "110",
         "inventory": [{"sku": "A", "onHand": 3}],
         "orders": [{"__typename": "Order", "id": "ord_1", "total": 100, "note": "x"}]},
        {"__typename": "Store", "id": "sto_2", "name": "South", "note": "n2", "phone": "120",
         "inventory": [], "orders": []},
    ],
    "order": {"__typename": "Order", "id": "ord_1", "total": 100, "note": "x"},
    "me": {"__typename": "Member", "id": "mem_1", "displayName": "Mia", "tier": "GOLD",
           "pointsBalance": 42},
    "search": [
        {"__typename": "Store", "id": "sto_1", "name": "North", "phone": "110"},
        {"__typename": "Member", "id": "mem_1", "displayName": "Mia", "pointsBalance": 42},
    ],
    "node": {"__typename": "Order", "id": "ord_1", "total": 100, "note": "x"},
    "redeemVoucher": True,
}


def _caller(scopes: str | None) -> Principal | None:
    return None if scopes is None else Principal("app_t", frozenset(scopes.split()))


def _run(query: str, scopes: str | None, variables: dict | None = None) -> dict[str, Any]:
    result = authorize_operation(POLICY, parse(query), POLICY.shape(_caller(scopes)))
    assert validate(API, result.document) == [], print_ast(result.document)
    PLANNER.plan(result.document, None)
    executed = execute(API, result.document, root_value=DATA, variable_values=variables)
    assert executed.errors is None, executed.errors
    response = apply_unauthorized(result, {"data": executed.data}, variables)
    return {"data": response["data"],
            "denied": sorted(tuple(e["path"]) for e in response.get("errors", ()))}


def test_directives_are_read_from_the_supergraph() -> None:
    declared = read_requirements(SUPERGRAPH)
    assert declared.fields[("Store", "inventory")] == (
        Requirement.any_of([["inventory:read"], ["platform:admin"]]),)
    assert declared.fields[("Query", "me")] == (Requirement.authenticated(),)
    assert declared.types["Member"] == (Requirement.authenticated(),)
    assert declared.types["Tier"] == (Requirement.any_of([["members:read"]]),)


STORE_QUERY = "{ stores { name phone inventory { sku } orders { total } } }"


@pytest.mark.parametrize(("scopes", "denied"), [
    (None, [("stores", 0, "inventory"), ("stores", 0, "orders"), ("stores", 0, "phone"),
            ("stores", 1, "inventory"), ("stores", 1, "orders"), ("stores", 1, "phone")]),
    ("stores:read", [("stores", 0, "inventory"), ("stores", 0, "orders"),
                     ("stores", 1, "inventory"), ("stores", 1, "orders")]),
    ("stores:read inventory:read", [("stores", 0, "orders"), ("stores", 1, "orders")]),
    ("platform:admin", [("stores", 0, "orders"), ("stores", 0, "phone"),
                        ("stores", 1, "orders"), ("stores", 1, "phone")]),
    ("orders:read", [("stores", 0, "inventory"), ("stores", 0, "orders"),
                     ("stores", 0, "phone"), ("stores", 1, "inventory"),
                     ("stores", 1, "orders"), ("stores", 1, "phone")]),
    ("orders:read stores:read inventory:read", []),
], ids=["anonymous", "stores", "stores+inventory", "admin", "orders-only", "all"])
def test_scope_matrix_over_stores_and_orders_subgraphs(scopes: str | None,
                                                       denied: list[tuple]) -> None:
    response = _run(STORE_QUERY, scopes)
    assert response["denied"] == denied
    for index, store in enumerate(response["data"]["stores"]):
        assert store["name"] == DATA["stores"][index]["name"]
        for key in ("phone", "inventory", "orders"):
            if ("stores", index, key) in denied:
                assert store[key] is None
            else:
                assert store[key] is not None


@pytest.mark.parametrize(("scopes", "me", "denied"), [
    (None, None, [("me",)]),
    ("", {"displayName": "Mia", "tier": None, "pointsBalance": None},
     [("me", "pointsBalance"), ("me", "tier")]),
    ("points:read members:read", {"displayName": "Mia", "tier": "GOLD", "pointsBalance": 42},
     []),
], ids=["anonymous", "authenticated", "points+members"])
def test_scope_matrix_over_the_membership_subgraph(scopes: str | None, me: Any,
                                                   denied: list[tuple]) -> None:
    response = _run("{ me { displayName tier pointsBalance } }", scopes)
    assert response == {"data": {"me": me}, "denied": denied}


def test_a_field_whose_selection_is_all_unauthorized_becomes_null() -> None:
    response = _run("{ me { pointsBalance } stores { name } }", "")
    assert response["data"] == {"me": None, "stores": [{"name": "North"}, {"name": "South"}]}
    assert response["denied"] == [("me",)]


def test_an_operation_with_nothing_left_stays_valid() -> None:
    response = _run("{ me { id } }", None)
    assert response == {"data": {"me": None}, "denied": [("me",)]}


def test_aliases_and_named_fragments_are_pruned_where_used() -> None:
    query = """
      query { a: stores { ...S } b: stores { name } }
      fragment S on Store { label: name tel: phone inventory { sku } }
    """
    response = _run(query, "stores:read")
    assert response["data"]["a"] == [
        {"label": "North", "tel": "110", "inventory": None},
        {"label": "South", "tel": "120", "inventory": None}]
    assert response["denied"] == [("a", 0, "inventory"), ("a", 1, "inventory")]


def test_type_conditions_on_a_union_only_touch_their_runtime_type() -> None:
    query = '{ search(text: "x") { ... on Store { name phone } ... on Member { displayName } } }'
    anonymous = _run(query, None)
    assert anonymous["data"]["search"] == [{"name": "North", "phone": None},
                                           {"displayName": None}]
    assert anonymous["denied"] == [("search", 0, "phone"), ("search", 1, "displayName")]
    member = _run(query, "stores:read")
    assert member["data"]["search"] == [{"name": "North", "phone": "110"},
                                        {"displayName": "Mia"}]
    assert member["denied"] == []


def test_interface_fields_need_every_implementations_requirements() -> None:
    guarded = _run('{ node(id: "ord_1") { id note } }', "stores:read")
    assert guarded == {"data": {"node": {"id": "ord_1", "note": None}},
                       "denied": [("node", "note")]}
    allowed = _run('{ node(id: "ord_1") { id note ... on Order { total } } }',
                   "stores:read orders:write")
    assert allowed == {"data": {"node": {"id": "ord_1", "note": "x", "total": 100}},
                       "denied": []}


def test_unused_variables_are_dropped_and_mutations_pruned() -> None:
    query = "query Q($id: ID!) { order(id: $id) { total } stores { name } }"
    response = _run(query, "stores:read")
    assert response["denied"] == [("order",)]
    assert response["data"]["order"] is None
    assert _run('mutation { redeemVoucher(code: "c") }', "orders:read") == {
        "data": {"redeemVoucher": None}, "denied": [("redeemVoucher",)]}


def test_nothing_changes_when_the_caller_may_see_everything() -> None:
    document = parse(STORE_QUERY)
    shape = POLICY.shape(_caller("orders:read stores:read inventory:read"))
    result = authorize_operation(POLICY, document, shape)
    assert result.document is document
    assert not result.changed


def test_auth_shape_groups_callers_with_the_same_rights() -> None:
    same = {POLICY.shape(_caller("stores:read")),
            POLICY.shape(_caller("stores:read webhooks:manage"))}
    assert len(same) == 1
    assert POLICY.shape(None) != POLICY.shape(_caller(""))
    assert POLICY.shape(_caller("stores:read")) != POLICY.shape(_caller("orders:read"))
    assert hash(POLICY.shape(None)) == hash(POLICY.shape(None))


def test_renamed_directives_through_link_imports() -> None:
    supergraph = parse("""
      schema @link(url: "https://specs.apollo.dev/requiresScopes/v0.1",
                   import: [{name: "@requiresScopes", as: "@scopes"}])
             @link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "signedIn") {
        query: Query
      }
      type Query {
        a: Int @scopes(scopes: [["x"]])
        b: Int @signedIn
        c: Int @requiresScopes(scopes: [["y", "z"]])
        d: Int @authenticated
      }
    """)
    declared = read_requirements(supergraph)
    assert declared.fields == {("Query", "a"): (Requirement.any_of([["x"]]),),
                               ("Query", "b"): (Requirement.authenticated(),),
                               ("Query", "c"): (Requirement.any_of([["y", "z"]]),)}


def test_a_malformed_directive_names_its_coordinate() -> None:
    with pytest.raises(AuthDirectiveError, match=r"Query\.c"):
        read_requirements(parse("type Query { c: Int @requiresScopes }"))


def test_the_clients_own_typename_survives_the_added_one() -> None:
    query = ('{ search(text: "x") { ... on Store { __typename name phone } '
             '... on Member { displayName } } }')
    response = _run(query, None)
    assert response["data"]["search"] == [
        {"__typename": "Store", "name": "North", "phone": None}, {"displayName": None}]


@pytest.mark.parametrize(("show", "denied"), [(False, []), (True, [("stores", 0, "phone"),
                                                                  ("stores", 1, "phone")])])
def test_skipped_removed_fields_get_no_error(show: bool, denied: list[tuple]) -> None:
    query = """query ($show: Boolean!) {
      stores { name phone @include(if: $show) ... @skip(if: true) { inventory { sku } } }
    }"""
    response = _run(query, None, {"show": show})
    assert response["denied"] == denied
    assert all(("phone" in store) is show for store in response["data"]["stores"])


def test_without_variables_a_variable_condition_counts_as_included() -> None:
    document = parse("query ($s: Boolean!) { stores { phone @include(if: $s) name } }")
    result = authorize_operation(POLICY, document, POLICY.shape(None))
    response = apply_unauthorized(result, {"data": {"stores": [{"name": "N"}]}})
    assert response["data"] == {"stores": [{"name": "N", "phone": None}]}
    assert [e["path"] for e in response["errors"]] == [["stores", 0, "phone"]]


def test_a_non_null_field_with_nothing_left_stays_with_its_children_null() -> None:
    response = _run("{ stores { phone } }", None)
    assert response == {"data": {"stores": [{"phone": None}, {"phone": None}]},
                        "denied": [("stores", 0, "phone"), ("stores", 1, "phone")]}
