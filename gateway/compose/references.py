"""Every type a subgraph references must exist in it (or be a built-in scalar)."""

from graphql import Node

from gateway.compose import errors
from gateway.compose.errors import CompositionError, ErrorFactory
from gateway.compose.model import Subgraph
from gateway.compose.types import BUILTIN_SCALARS, base_name


def unknown_type_errors(subgraph: Subgraph, error: ErrorFactory) -> list[CompositionError]:
    found = []
    for name, node in _references(subgraph):
        if name not in subgraph.types and name not in BUILTIN_SCALARS:
            found.append(error(errors.INVALID_GRAPHQL, f'Unknown type "{name}".', node,
                               f'define type "{name}" in this subgraph, or fix the spelling'))
    return found


def _references(subgraph: Subgraph) -> list[tuple[str, Node]]:
    references: list[tuple[str, Node]] = []
    for typedef in subgraph.types.values():
        references += [(name, typedef.node) for name in typedef.interfaces + typedef.members]
        for field in typedef.fields.values():
            references.append((base_name(field.type), field.node))
            references += [(base_name(a.type), a.node) for a in field.args.values()]
    return references
