"""``@join__directive`` applications and the contexts ``@context`` sets on types.

Apollo composition keeps subgraph directives it has no dedicated join argument for as
``@join__directive(graphs:, name:, args:)``; they are read (and kept) whatever their name, so
an unknown one never stops a supergraph from loading. The ``context`` ones, like the context
spec's own ``@context(name:)``, name the contexts a ``@fromContext`` argument reads from.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import GraphQLSchema, Node

from ..errors import SupergraphError
from ._directives import applied
from .model import JoinDirective, SubgraphInfo, TypeModel

CONTEXT = "context"


def read_join_directives(
    schema: GraphQLSchema, join: str, graphs: dict[str, SubgraphInfo]
) -> tuple[JoinDirective, ...]:
    """Every ``@join__directive`` on the schema, its types and their fields, in SDL order."""
    name = f"{join}__directive"
    found = [
        _join_directive(args, "", graphs)
        for args in applied([schema.ast_node, *schema.extension_ast_nodes], name)
    ]
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__"):
            continue
        nodes: list[Node | None] = [named.ast_node, *named.extension_ast_nodes]
        found.extend(_join_directive(args, type_name, graphs) for args in applied(nodes, name))
        for field_name, field in (getattr(named, "fields", None) or {}).items():
            coordinate = f"{type_name}.{field_name}"
            found.extend(
                _join_directive(args, coordinate, graphs)
                for args in applied([field.ast_node], name)
            )
    return tuple(found)


def _join_directive(
    args: dict[str, Any], coordinate: str, graphs: dict[str, SubgraphInfo]
) -> JoinDirective:
    name = args.get("name")
    if not isinstance(name, str):
        raise SupergraphError("@join__directive without a name", coordinate or "schema")
    listed = args.get("graphs") or ()
    unknown = [graph for graph in listed if graph not in graphs]
    if unknown:
        raise SupergraphError(f"unknown graph {unknown[0]!r} in @join__directive", coordinate)
    directive_args = args.get("args") or {}
    if not isinstance(directive_args, dict):
        raise SupergraphError(f"@join__directive({name}) args must be an object", coordinate)
    return JoinDirective(
        tuple(graphs[graph].name for graph in listed), name, directive_args, coordinate
    )


def read_contexts(
    schema: GraphQLSchema,
    context_directive: str | None,
    join_directives: Iterable[JoinDirective],
) -> dict[str, frozenset[str]]:
    """Context name → the types setting it (``@context(name:)`` or its join directive form).

    A join directive's context is known both as written and prefixed with its subgraph's name
    (``Subgraph1__ctx``), which is how composition names it in ``contextArguments``.
    """
    contexts: dict[str, set[str]] = {}
    if context_directive is not None:
        for type_name, named in schema.type_map.items():
            nodes: list[Node | None] = [named.ast_node, *named.extension_ast_nodes]
            for args in applied(nodes, context_directive):
                if isinstance(args.get("name"), str):
                    contexts.setdefault(args["name"], set()).add(type_name)
    for directive in join_directives:
        name = directive.args.get("name")
        if directive.name != CONTEXT or not isinstance(name, str) or "." in directive.coordinate:
            continue
        for alias in (name, *(f"{graph}__{name}" for graph in directive.graphs)):
            contexts.setdefault(alias, set()).add(directive.coordinate)
    return {name: frozenset(types) for name, types in contexts.items()}


def check_context_arguments(
    types: Mapping[str, TypeModel], contexts: Mapping[str, frozenset[str]]
) -> None:
    """Every ``@fromContext`` argument names a context some type sets."""
    for model in types.values():
        for field in model.fields.values():
            for info in field.graphs.values():
                for argument in info.context_arguments:
                    if argument.context not in contexts:
                        raise SupergraphError(
                            f"argument {argument.name!r} reads the undeclared context "
                            f"{argument.context!r}",
                            f"{model.name}.{field.name}",
                        )
