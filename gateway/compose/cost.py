"""Demand-control directives (``@cost``, ``@listSize``) merged as Apollo merges them.

A field costs what its most expensive subgraph says; list size estimates take the largest
assumed size and every slicing argument or sized field any subgraph names.
"""

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    StringValueNode,
    ValueNode,
)

COST_URL = "https://specs.apollo.dev/cost/v0.1"
COST_DEFINITION = ("directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | "
                   "FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR")
_LIST_SIZE_ARGS = ("(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], "
                   "requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION")


def cost_link(features: set[str]) -> str:
    imports = ', import: ["@listSize"]' if "listSize" in features else ""
    return f'@link(url: "{COST_URL}"{imports})'


def cost_definitions(features: set[str]) -> list[str]:
    """``@cost`` (the spec's own name), and ``@listSize`` as imported or namespaced."""
    list_size = "listSize" if "listSize" in features else "cost__listSize"
    return [COST_DEFINITION, f"directive @{list_size}{_LIST_SIZE_ARGS}"]


def merge_cost(name: str, applications: list[DirectiveNode]) -> DirectiveNode:
    values = [{a.name.value: a.value for a in d.arguments or ()} for d in applications]
    if name == "cost":
        weight = max(_int(v.get("weight")) or 0 for v in values)
        return _directive(name, [("weight", IntValueNode(value=str(weight)))])
    arguments: list[tuple[str, ValueNode]] = []
    sizes = [s for s in (_int(v.get("assumedSize")) for v in values) if s is not None]
    if sizes:
        arguments.append(("assumedSize", IntValueNode(value=str(max(sizes)))))
    for list_argument in ("slicingArguments", "sizedFields"):
        names = list(dict.fromkeys(n for v in values for n in _strings(v.get(list_argument))))
        if names:
            arguments.append((list_argument, ListValueNode(
                values=tuple(StringValueNode(value=n) for n in names))))
    if any(_is_false(v.get("requireOneSlicingArgument")) for v in values):
        arguments.append(("requireOneSlicingArgument", BooleanValueNode(value=False)))
    return _directive(name, arguments)


def _directive(name: str, arguments: list[tuple[str, ValueNode]]) -> DirectiveNode:
    return DirectiveNode(name=NameNode(value=name), arguments=tuple(
        ArgumentNode(name=NameNode(value=n), value=v) for n, v in arguments))


def _is_false(value: ValueNode | None) -> bool:
    return isinstance(value, BooleanValueNode) and not value.value


def _int(value: ValueNode | None) -> int | None:
    return int(value.value) if isinstance(value, IntValueNode) else None


def _strings(value: ValueNode | None) -> list[str]:
    if not isinstance(value, ListValueNode):
        return []
    return [v.value for v in value.values if isinstance(v, StringValueNode)]
