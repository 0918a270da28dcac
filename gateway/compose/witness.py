"""Example operations ("witnesses") that show a client reaching a field, worded as Apollo's.

Every argument gets a placeholder value of its type (``"<any id>"``, ``0``, an enum's first
value...), and a field returning an object ends in ``{ ... }``.
"""

from graphql import ListTypeNode, NonNullTypeNode, TypeNode

from gateway.compose.supergraph import MergedField, Supergraph
from gateway.compose.types import base_name

_SCALARS = {"Int": "0", "Float": "3.14", "Boolean": "true", "String": '"A string value"',
            "ID": '"<any id>"'}


def field_step(supergraph: Supergraph, field: MergedField) -> str:
    if not field.args:
        return field.name
    values = [f"{a.name}: {_value(supergraph, a.type)}" for a in field.args.values()]
    return f"{field.name}({', '.join(values)})"


def print_witness(operation: str, steps: list[str], composite_tail: bool) -> str:
    lines = ["{" if operation == "query" else f"{operation} {{"]
    for depth, step in enumerate(steps, start=1):
        opens = depth < len(steps) or composite_tail
        lines.append("  " * depth + step + (" {" if opens else ""))
    if composite_tail:
        lines.append("  " * (len(steps) + 1) + "...")
    closing = len(steps) if composite_tail else len(steps) - 1
    lines += ["  " * depth + "}" for depth in range(closing, -1, -1)]
    return "\n".join(lines)


def _value(supergraph: Supergraph, type_node: TypeNode) -> str:
    if isinstance(type_node, NonNullTypeNode):
        return _value(supergraph, type_node.type)
    if isinstance(type_node, ListTypeNode):
        return "[]"
    name = base_name(type_node)
    if name in _SCALARS:
        return _SCALARS[name]
    merged = supergraph.types.get(name)
    if merged is not None and merged.kind == "enum" and merged.values:
        return next(iter(merged.values))
    if merged is not None and merged.kind == "input":
        fields = [f"{f.name}: {_value(supergraph, f.type)}" for f in merged.fields.values()
                  if isinstance(f.type, NonNullTypeNode) and f.default is None]
        return "{" + ", ".join(fields) + "}"
    return '"<some value>"'
