"""``@join__field``: which subgraphs resolve a field, and its requires/provides/external.

A field without ``@join__field`` is resolved by every subgraph defining its parent type.
``@join__field`` without a graph marks a field that only an ``@interfaceObject`` resolves.
Overrides: the overridden subgraph loses the field (``usedOverridden`` keeps it only as a key);
with a progressive ``overrideLabel`` the overriding subgraph wins outright (documented choice:
no percentage routing, so plans stay deterministic and cacheable). ``contextArguments`` are
the field's ``@fromContext`` arguments in that subgraph.
"""

from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLInputField

from ..errors import SupergraphError
from ._directives import applied
from .fieldset import parse_field_set
from .model import ContextArgument, FieldInGraph, SubgraphInfo, TypeInGraph


def read_field_graphs(
    owner: str,
    name: str,
    field: GraphQLField | GraphQLInputField,
    type_graphs: dict[str, TypeInGraph],
    join: str,
    graphs: dict[str, SubgraphInfo],
) -> dict[str, FieldInGraph]:
    """Per subgraph, how it defines ``owner.name``.

    An ``@external`` field that is part of the subgraph's own key is still resolvable there:
    the subgraph receives it in every representation (the federation 1 ``@extends`` idiom).
    """
    entries = list(applied([field.ast_node], f"{join}__field"))
    if not entries:
        return {graph: FieldInGraph(graph) for graph in type_graphs}
    overridden = {
        entry["override"] for entry in entries if entry.get("override") and entry.get("graph")
    }
    result: dict[str, FieldInGraph] = {}
    for entry in entries:
        if entry.get("graph") is None:
            continue
        if entry["graph"] not in graphs:
            raise SupergraphError(f"unknown graph {entry['graph']!r}", f"{owner}.{name}")
        graph = graphs[entry["graph"]].name
        in_key = _in_own_key(name, type_graphs.get(graph))
        result[graph] = _field_in_graph(owner, name, graph, entry, graph in overridden, in_key)
    return result


def _in_own_key(name: str, info: TypeInGraph | None) -> bool:
    return info is not None and any(
        isinstance(node, FieldNode) and node.name.value == name
        for key in info.keys
        for node in key.selection.selections
    )


def _field_in_graph(
    owner: str, name: str, graph: str, entry: dict[str, Any], overridden: bool, in_key: bool
) -> FieldInGraph:
    external = bool(entry.get("external"))
    where = f"{owner}.{name}"
    requires = entry.get("requires")
    provides = entry.get("provides")
    return FieldInGraph(
        graph=graph,
        resolvable=not (external or entry.get("usedOverridden") or overridden),
        external=external,
        requires=parse_field_set(requires, f"{where} @requires") if requires else None,
        provides=parse_field_set(provides, f"{where} @provides") if provides else None,
        type=entry.get("type"),
        context_arguments=tuple(
            _context_argument(item, where) for item in entry.get("contextArguments") or ()
        ),
    )


def _context_argument(item: Any, where: str) -> ContextArgument:
    """One ``join__ContextArgument``; its selection (``"{ prop }"`` or ``"... on T { prop }"``)
    is read like a field set."""
    if not isinstance(item, dict) or not all(
        isinstance(item.get(key), str) for key in ("name", "type", "context", "selection")
    ):
        raise SupergraphError(f"invalid contextArguments entry {item!r}", where)
    text = item["selection"].strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    selection = parse_field_set(text, f"{where} @fromContext")
    if not selection.selections:
        raise SupergraphError(f"empty context selection {item['selection']!r}", where)
    return ContextArgument(item["name"], item["type"], item["context"], selection)
