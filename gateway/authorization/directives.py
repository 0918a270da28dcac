"""Reading ``@authenticated`` and ``@requiresScopes`` from a supergraph SDL document.

Apollo composition copies these directives into the supergraph on fields, object types,
interfaces, scalars and enums, and declares them with ``@link`` on the schema. A ``@link``
may rename them (``as:``, or ``import: [{name: "@requiresScopes", as: "@scopes"}]``), so the
names are resolved from the links first; without links the plain names are used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    ValueNode,
)

from gateway.authorization.requirements import Requirement

_SPECS = {"authenticated": "authenticated", "requiresScopes": "requiresScopes"}
_TYPE_NODES = (ObjectTypeDefinitionNode, ObjectTypeExtensionNode, InterfaceTypeDefinitionNode,
               InterfaceTypeExtensionNode, ScalarTypeDefinitionNode, ScalarTypeExtensionNode,
               EnumTypeDefinitionNode, EnumTypeExtensionNode)
_FIELDED = (ObjectTypeDefinitionNode, ObjectTypeExtensionNode, InterfaceTypeDefinitionNode,
            InterfaceTypeExtensionNode)


class AuthDirectiveError(ValueError):
    """A malformed auth directive in the supergraph; the message names the coordinate."""


@dataclass
class DeclaredRequirements:
    """Requirements by type name and by ``(type, field)``; each a tuple that must all hold."""

    types: dict[str, tuple[Requirement, ...]] = field(default_factory=dict)
    fields: dict[tuple[str, str], tuple[Requirement, ...]] = field(default_factory=dict)


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _argument(directive: DirectiveNode, name: str) -> ValueNode | None:
    return next((arg.value for arg in directive.arguments or () if arg.name.value == name), None)


def _names_from_link(link: DirectiveNode, names: dict[str, str]) -> None:
    url = _string(_argument(link, "url")) or ""
    spec = url.rstrip("/").split("/")[-2] if url.count("/") >= 2 else ""
    if spec not in _SPECS:
        return
    names.pop(spec, None)
    names[_string(_argument(link, "as")) or spec] = spec
    imports = _argument(link, "import")
    for item in imports.values if isinstance(imports, ListValueNode) else ():
        if isinstance(item, ObjectValueNode):
            fields = {f.name.value: _string(f.value) for f in item.fields}
            if fields.get("name") == f"@{spec}" and fields.get("as"):
                names[fields["as"].lstrip("@")] = spec


def directive_names(document: DocumentNode) -> dict[str, str]:
    """Directive name in this document → spec name (``authenticated``/``requiresScopes``)."""
    names = {name: name for name in _SPECS}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for directive in definition.directives or ():
                if directive.name.value == "link":
                    _names_from_link(directive, names)
    return names


def _scope_groups(directive: DirectiveNode, where: str) -> list[list[str]]:
    value = _argument(directive, "scopes")
    if not isinstance(value, ListValueNode):
        raise AuthDirectiveError(f"@requiresScopes on {where} needs scopes: [[String]]")
    groups = []
    for group in value.values:
        members = group.values if isinstance(group, ListValueNode) else [group]
        scopes = [_string(member) for member in members]
        if any(scope is None for scope in scopes):
            raise AuthDirectiveError(f"@requiresScopes on {where}: scopes must be strings")
        groups.append([s for s in scopes if s is not None])
    return groups


def _requirements(directives: Iterable[DirectiveNode], names: dict[str, str],
                  where: str) -> tuple[Requirement, ...]:
    found = []
    for directive in directives:
        spec = names.get(directive.name.value)
        if spec == "authenticated":
            found.append(Requirement.authenticated())
        elif spec == "requiresScopes":
            found.append(Requirement.any_of(_scope_groups(directive, where)))
    return tuple(found)


def read_requirements(document: DocumentNode) -> DeclaredRequirements:
    """Every auth requirement the supergraph declares."""
    names = directive_names(document)
    declared = DeclaredRequirements()
    for definition in document.definitions:
        if not isinstance(definition, _TYPE_NODES):
            continue
        type_name = definition.name.value
        own = _requirements(definition.directives or (), names, type_name)
        if own:
            declared.types[type_name] = declared.types.get(type_name, ()) + own
        if isinstance(definition, _FIELDED):
            for field_node in definition.fields or ():
                coordinate = (type_name, field_node.name.value)
                reqs = _requirements(field_node.directives or (), names, ".".join(coordinate))
                if reqs:
                    declared.fields[coordinate] = declared.fields.get(coordinate, ()) + reqs
    return declared
