"""@context/@fromContext (join__field contextArguments) and @join__directive.

The ``context`` fixture: ``User`` (accounts, currency served by profile) and ``Shop``
(accounts only) both set ``userContext``; ``Order.display`` takes the currency from it.
"""

from typing import Any

import pytest
from graphql import parse, print_schema

from gateway.federation import QueryPlanner, Supergraph
from gateway.federation.errors import PlanningError, SupergraphError

from .harness import FIXTURES, Gateway, Subgraphs, build_subgraph

USERS = {
    "u1": {"id": "u1", "name": "Ada", "currency": "EUR", "orders": ["o1", "o2"]},
    "u2": {"id": "u2", "name": "Bob", "currency": "USD", "orders": ["o3"]},
}
ORDERS = {"o1": 10, "o2": 20, "o3": 5, "o4": 7}
LINES = {"o1": ["l1"], "o2": ["l2", "l3"], "o3": ["l4"], "o4": []}


def _order(order_id: str) -> dict[str, Any]:
    amount = ORDERS[order_id]

    def display(_info: Any, currency: str | None = None) -> str:
        return f"{amount} {currency}"

    lines = [_line(line_id) for line_id in LINES[order_id]]
    return {
        "__typename": "Order",
        "id": order_id,
        "amount": amount,
        "display": display,
        "lines": lines,
    }


def _line(line_id: str) -> dict[str, Any]:
    price = int(line_id[1:])

    def label(_info: Any, currency: str | None = None, digits: int | None = None) -> str:
        return f"{price:.{digits or 0}f} {currency}"

    return {"__typename": "Line", "id": line_id, "price": price, "label": label}


def _profile_user(rep: dict[str, Any]) -> dict[str, Any]:
    return {"__typename": "User", "id": rep["id"], "currency": USERS[rep["id"]]["currency"]}


def _subgraphs() -> Subgraphs:
    users = [
        {"__typename": "User", "id": u["id"], "name": u["name"], "orders": u["orders"]}
        for u in USERS.values()
    ]
    for user in users:
        user["orders"] = [_order(order_id) for order_id in user["orders"]]
    accounts = build_subgraph(
        "context",
        "accounts",
        {"users": users, "shop": {"currency": "GBP", "specials": [_order("o4")]}},
        {"Order": lambda rep: _order(rep["id"]), "Line": lambda rep: _line(rep["id"])},
    )
    profile = build_subgraph(
        "context",
        "profile",
        {},
        {"User": _profile_user},
    )
    return Subgraphs({"accounts": accounts, "profile": profile})


SDL = (FIXTURES / "context" / "supergraph.graphql").read_text()


@pytest.fixture
def gateway() -> Gateway:
    return Gateway(Supergraph.parse(SDL), _subgraphs())


def test_supergraph_reads_contexts_and_context_arguments() -> None:
    supergraph = Supergraph.parse(SDL)
    assert supergraph.contexts == {"accounts__userContext": frozenset({"User", "Shop"})}
    display = supergraph.field("Order", "display")
    assert display is not None
    (argument,) = display.graphs["accounts"].context_arguments
    assert (argument.name, argument.type, argument.context) == (
        "currency",
        "String",
        "accounts__userContext",
    )
    api_display = supergraph.api_schema.type_map["Order"].fields["display"]  # type: ignore[union-attr]
    assert api_display.args == {}
    printed = print_schema(supergraph.api_schema)
    assert "context" not in printed and "join__" not in printed


async def test_context_value_comes_from_the_enclosing_entity_via_another_subgraph(
    gateway: Gateway,
) -> None:
    query = "{ users { name orders { id display } } }"
    text = gateway.plan(query).to_text()
    assert "$contextualArgument_" in text and "= ../currency" in text
    assert "display(currency: $contextualArgument_" in text
    result = await gateway.run(query)
    assert result == {
        "data": {
            "users": [
                {
                    "name": "Ada",
                    "orders": [
                        {"id": "o1", "display": "10 EUR"},
                        {"id": "o2", "display": "20 EUR"},
                    ],
                },
                {"name": "Bob", "orders": [{"id": "o3", "display": "5 USD"}]},
            ]
        }
    }
    assert [call.subgraph for call in gateway.subgraphs.calls] == [
        "accounts",
        "profile",
        "accounts",
    ]
    batched = gateway.subgraphs.calls[2]  # one request, one _entities field per currency
    assert batched.query.count("_entities(") == 2
    variables = batched.variables
    values = sorted(
        (value, [rep["id"] for rep in variables[f"representations{name[-2:]}"]])
        for name, value in variables.items()
        if name.startswith("contextualArgument_")
    )
    assert values == [("EUR", ["o1", "o2"]), ("USD", ["o3"])]


async def test_batched_context_call_maps_errors_to_their_entities(gateway: Gateway) -> None:
    root = gateway.subgraphs.schemas["accounts"][1]
    original = root["_entities"]

    def display(_info: Any, currency: str) -> str:
        if currency == "USD":
            raise ValueError("no USD today")
        return currency

    def entities(info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        return [{**entity, "display": display} for entity in original(info, representations)]

    root["_entities"] = entities
    result = await gateway.run("{ users { orders { display } } }")
    assert result["data"] is None  # display is non-null all the way up
    (error,) = result["errors"]
    assert error["message"] == "no USD today"
    assert error["path"] == ["users", 1, "orders", 0, "display"]


async def test_context_value_from_the_same_fetch_needs_a_second_call(gateway: Gateway) -> None:
    query = "{ shop { specials { amount display } } }"
    plan = gateway.plan(query)
    result = await gateway.run(query)
    assert result == {"data": {"shop": {"specials": [{"amount": 7, "display": "7 GBP"}]}}}
    first, second = gateway.subgraphs.calls
    assert "currency" in first.query and second.subgraph == "accounts"
    (flatten,) = [node for node in plan.node.nodes if node.kind == "Flatten"]  # type: ignore[union-attr]
    rewrites = plan.to_json()["node"]["nodes"][1]["node"]["contextRewrites"]
    assert rewrites == [
        {
            "kind": "KeyRenamer",
            "path": ["..", "currency"],
            "renameKeyTo": flatten.node.contexts[0].variable,
        }
    ]


async def test_no_context_call_without_entities(gateway: Gateway) -> None:
    gateway.subgraphs.schemas["accounts"][1]["users"] = []
    result = await gateway.run("{ users { orders { display } } }")
    assert result == {"data": {"users": []}}
    assert [call.subgraph for call in gateway.subgraphs.calls] == ["accounts"]


def _with(old: str, new: str) -> str:
    assert old in SDL
    return SDL.replace(old, new)


def test_join_directive_form_of_context_is_understood() -> None:
    sdl = _with(
        '  @context(name: "accounts__userContext")\n{\n  id: ID!',
        '  @join__directive(graphs: [ACCOUNTS], name: "context", args: {name: "userContext"})\n'
        "{\n  id: ID!",
    ).replace('  @context(name: "accounts__userContext")\n', "")
    supergraph = Supergraph.parse(sdl)
    assert supergraph.contexts["accounts__userContext"] == frozenset({"User"})
    plan = QueryPlanner(supergraph).plan(parse("{ users { orders { display } } }"))
    assert "$contextualArgument_" in plan.to_text()


def test_unknown_join_directives_are_kept_and_hidden_from_the_api() -> None:
    sdl = _with(
        'type Order\n  @join__type(graph: ACCOUNTS, key: "id")\n',
        'type Order\n  @join__type(graph: ACCOUNTS, key: "id")\n'
        '  @join__directive(graphs: [ACCOUNTS], name: "cacheTag",'
        ' args: {format: "order-{$key.id}"})\n',
    ).replace(
        "  amount: Int!\n",
        '  amount: Int! @join__directive(graphs: [ACCOUNTS], name: "sourceField",'
        ' args: {http: {GET: "/x"}})\n',
    )
    supergraph = Supergraph.parse(sdl)
    names = [(d.coordinate, d.name, d.graphs) for d in supergraph.join_directives]
    assert ("Order", "cacheTag", ("accounts",)) in names
    assert ("Order.amount", "sourceField", ("accounts",)) in names
    cache_tag = next(d for d in supergraph.join_directives if d.name == "cacheTag")
    assert cache_tag.args == {"format": "order-{$key.id}"}
    printed = print_schema(supergraph.api_schema)
    assert "join__" not in printed and "cacheTag" not in printed


def test_join_directive_naming_an_unknown_graph_is_rejected() -> None:
    sdl = _with(
        'type Order\n  @join__type(graph: ACCOUNTS, key: "id")\n',
        'type Order\n  @join__type(graph: ACCOUNTS, key: "id")\n'
        '  @join__directive(graphs: [NOPE], name: "cacheTag", args: {})\n',
    )
    with pytest.raises(SupergraphError, match="unknown graph 'NOPE'"):
        Supergraph.parse(sdl)


def test_context_argument_naming_an_undeclared_context_is_rejected() -> None:
    sdl = _with('context: "accounts__userContext", name', 'context: "accounts__missing", name')
    with pytest.raises(SupergraphError, match="undeclared context 'accounts__missing'"):
        Supergraph.parse(sdl)


def test_field_outside_any_context_cannot_be_planned() -> None:
    shop = "  shop: Shop! @join__field(graph: ACCOUNTS)\n"
    sdl = _with(shop, shop + "  order: Order @join__field(graph: ACCOUNTS)\n")
    planner = QueryPlanner(Supergraph.parse(sdl))
    with pytest.raises(PlanningError, match="no enclosing object sets the context"):
        planner.plan(parse("{ order { display } }"))


async def test_plans_without_contexts_are_unchanged(gateway: Gateway) -> None:
    plan = gateway.plan("{ users { name orders { amount } } }")
    assert "contextualArgument" not in plan.to_text()
    assert plan.to_json()["node"]["kind"] == "Fetch"


async def test_context_two_levels_up_with_type_conditioned_selection(gateway: Gateway) -> None:
    query = "{ users { orders { lines { label(digits: 1) } } } }"
    text = gateway.plan(query).to_text()
    assert "= ../../currency" in text
    assert "label(digits: 1, currency: $contextualArgument_" in text
    result = await gateway.run(query)
    assert result == {
        "data": {
            "users": [
                {
                    "orders": [
                        {"lines": [{"label": "1.0 EUR"}]},
                        {"lines": [{"label": "2.0 EUR"}, {"label": "3.0 EUR"}]},
                    ]
                },
                {"orders": [{"lines": [{"label": "4.0 USD"}]}]},
            ]
        }
    }


async def test_two_contextual_fields_with_one_value_share_a_variable(gateway: Gateway) -> None:
    query = "{ shop { specials { a: display b: display } } }"
    plan = gateway.plan(query)
    (flatten,) = [node for node in plan.node.nodes if node.kind == "Flatten"]  # type: ignore[union-attr]
    (context,) = flatten.node.contexts
    assert flatten.node.operation.count(f"${context.variable}") == 3  # declared, used twice
    result = await gateway.run(query)
    assert result == {"data": {"shop": {"specials": [{"a": "7 GBP", "b": "7 GBP"}]}}}
