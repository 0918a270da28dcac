"""Stable text and JSON forms of a query plan (Apollo-like), for debugging and snapshots."""

from typing import Any

from .plan import (
    ContextRewrite,
    EntityInputSpec,
    Fetch,
    Flatten,
    InputField,
    Parallel,
    PlanNode,
    QueryPlan,
    Sequence,
)

_INDENT = "  "


def plan_to_text(plan: QueryPlan) -> str:
    lines = ["QueryPlan {"]
    if plan.introspection is not None:
        lines.append(f"{_INDENT}Introspection,")
    if plan.node is not None:
        _node_text(plan.node, 1, lines)
    lines.append("}")
    return "\n".join(lines)


def _node_text(node: PlanNode, depth: int, lines: list[str]) -> None:
    pad = _INDENT * depth
    if isinstance(node, Sequence | Parallel):
        lines.append(f"{pad}{node.kind} {{")
        for child in node.nodes:
            _node_text(child, depth + 1, lines)
        lines.append(f"{pad}}},")
    elif isinstance(node, Flatten):
        lines.append(f'{pad}Flatten(path: "{".".join(node.path)}") {{')
        _node_text(node.node, depth + 1, lines)
        lines.append(f"{pad}}},")
    else:
        condition = "".join(
            f', {"include" if include else "skip"}: "${name}"' for name, include in node.condition
        )
        lines.append(f'{pad}Fetch(service: "{node.subgraph}"{condition}) {{')
        inner = pad + _INDENT
        if node.inputs:
            lines.append(f"{inner}{{")
            for spec in node.inputs.values():
                lines.append(f"{inner}{_INDENT}{_input_text(spec)}")
            lines.append(f"{inner}}} =>")
        for context in node.contexts:
            lines.append(f"{inner}${context.variable} = {_context_path(context)}")
        lines.extend(f"{inner}{line}" for line in node.operation.splitlines())
        lines.append(f"{pad}}},")


def _input_text(spec: EntityInputSpec) -> str:
    return f"... on {spec.typename} {{ __typename {_fields_text(spec.fields)} }}"


def _fields_text(fields: tuple[InputField, ...]) -> str:
    parts = []
    for item in fields:
        text = item.name if item.key == item.name else f"{item.key}: {item.name}"
        if item.children is not None:
            text += " { " + _fields_text(item.children) + " }"
        parts.append(text)
    return " ".join(parts)


def _context_path(context: ContextRewrite) -> str:
    """Where a context value is read, Apollo-style: ``../../field``."""
    return "../" * context.levels + _fields_text(context.fields)


def plan_to_json(plan: QueryPlan) -> dict[str, Any]:
    return {
        "kind": "QueryPlan",
        "introspection": plan.introspection is not None,
        "node": _node_json(plan.node) if plan.node is not None else None,
    }


def _node_json(node: PlanNode) -> dict[str, Any]:
    if isinstance(node, Sequence | Parallel):
        return {"kind": node.kind, "nodes": [_node_json(child) for child in node.nodes]}
    if isinstance(node, Flatten):
        return {"kind": "Flatten", "path": list(node.path), "node": _node_json(node.node)}
    return _fetch_json(node)


def _fetch_json(node: Fetch) -> dict[str, Any]:
    result: dict[str, Any] = {
        "kind": "Fetch",
        "serviceName": node.subgraph,
        "operation": node.operation,
        "operationName": node.operation_name,
        "variableUsages": list(node.variable_names),
    }
    if node.condition:
        result["condition"] = [
            {"variable": name, "include": include} for name, include in node.condition
        ]
    if node.inputs:
        result["requires"] = [
            {"typename": typename, "as": spec.typename, "fields": _fields_text(spec.fields)}
            for typename, spec in node.inputs.items()
        ]
    if node.contexts:
        result["contextRewrites"] = [
            {
                "kind": "KeyRenamer",
                "path": [".."] * context.levels + [_fields_text(context.fields)],
                "renameKeyTo": context.variable,
            }
            for context in node.contexts
        ]
    return result
