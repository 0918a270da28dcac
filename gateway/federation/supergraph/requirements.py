"""Auth directives (``@authenticated``, ``@requiresScopes``, ``@policy``) kept readable.

The API schema strips them; the gateway's auth layer reads them from here instead.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

from ._directives import applied


@dataclass(frozen=True, slots=True)
class AccessRequirement:
    """What a caller needs: any one scope set (each all-of), any one policy set."""

    authenticated: bool = False
    scopes: tuple[tuple[str, ...], ...] = ()
    policies: tuple[tuple[str, ...], ...] = ()


def read_requirements(
    schema: GraphQLSchema, names: dict[str, str]
) -> tuple[dict[str, AccessRequirement], dict[tuple[str, str], AccessRequirement]]:
    """Requirements per type name and per ``(type, field)``; elements without any are absent."""
    types: dict[str, AccessRequirement] = {}
    fields: dict[tuple[str, str], AccessRequirement] = {}
    for named in schema.type_map.values():
        found = _requirement([named.ast_node, *named.extension_ast_nodes], names)
        if found:
            types[named.name] = found
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                found = _requirement([field.ast_node], names)
                if found:
                    fields[(named.name, field_name)] = found
    return types, fields


def _requirement(nodes: list, names: Mapping[str, str]) -> AccessRequirement | None:
    authenticated = any(True for _ in applied(nodes, names.get("authenticated", "authenticated")))
    scopes = [
        tuple(tuple(group) for group in args.get("scopes") or ())
        for args in applied(nodes, names.get("requiresScopes", "requiresScopes"))
    ]
    policies = [
        tuple(tuple(group) for group in args.get("policies") or ())
        for args in applied(nodes, names.get("policy", "policy"))
    ]
    if not (authenticated or scopes or policies):
        return None
    return AccessRequirement(
        authenticated=authenticated,
        scopes=tuple(group for entry in scopes for group in entry),
        policies=tuple(group for entry in policies for group in entry),
    )
