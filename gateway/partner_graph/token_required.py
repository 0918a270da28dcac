"""A partner subgraph's own fields need a token: ``@authenticated`` added to its SDL.

Issue 16 asks that a partner subgraph's fields require a token by default. The requirement
is written into the partner's SDL before composition rather than kept as a rule inside this
gateway, so the composed supergraph says it itself: every gateway that loads the supergraph
(this one, ``loopgate gateway``, Apollo Router, Hive) enforces it, and ``loopgate supergraph
show`` shows it. An anonymous caller asking such a field gets it null with an
``UNAUTHORIZED_FIELD_OR_TYPE`` error at its path, as for any platform field it may not see,
and the partner subgraph is not called for it.

Guarded: every field of an object or interface type in the partner's SDL, except

* fields a platform subgraph declares too (the keys of shared entities such as ``Store.id``,
  fields of shareable value types): composition merges ``@authenticated`` across subgraphs,
  so marking one would guard the platform's own field for every caller;
* ``@external`` fields (another subgraph's) and the fields the type's ``@key``s name;
* fields already guarded (``@authenticated`` or ``@requiresScopes``);
* federation's own (``_entities``, ``_service`` and the ``_``-prefixed types).

The partner's ``@link`` to Federation 2 gets ``@authenticated`` imported (or, if the SDL
declares a directive of that name itself, the namespaced ``@federation__authenticated`` is
used); a link to a version before 2.5, which has no ``@authenticated``, is moved to 2.5.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from functools import cache

from graphql import (
    ArgumentNode,
    ConstListValueNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    FieldDefinitionNode,
    FieldNode,
    GraphQLError,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    ValueNode,
    parse,
    print_ast,
)

FEDERATION_URL = re.compile(r"^https://specs\.apollo\.dev/federation/v(\d+)\.(\d+)$")
FIRST_WITH_AUTHENTICATED = (2, 5)
_FEDERATION_FIELDS = frozenset({"_entities", "_service"})
_FIELDED = (ObjectTypeDefinitionNode, ObjectTypeExtensionNode, InterfaceTypeDefinitionNode,
            InterfaceTypeExtensionNode)

Coordinate = tuple[str, str]


class TokenGuardError(ValueError):
    """The partner SDL cannot be given ``@authenticated`` (not Federation 2, or not SDL);
    the message says what to change."""


@cache
def platform_coordinates() -> frozenset[Coordinate]:
    """``(type, field)`` of every field some platform subgraph declares."""
    # Imported here: the platform's partners subgraph imports the registration code that
    # calls require_token.
    from gateway.platform import PLATFORM_SUBGRAPHS

    return frozenset(coordinate for subgraph in PLATFORM_SUBGRAPHS
                     for coordinate in _coordinates(parse(subgraph.sdl, no_location=True)))


def require_token(partner_sdl: str,
                  platform: Collection[Coordinate] | None = None) -> str:
    """``partner_sdl`` with ``@authenticated`` on each of the partner's own fields (see the
    module docstring); ``platform`` are the coordinates left alone (default: the platform
    subgraphs'). Raises :class:`TokenGuardError`."""
    try:
        document = parse(partner_sdl, no_location=True)
    except GraphQLError as exc:
        raise TokenGuardError(f"the subgraph SDL does not parse: {exc.message}") from exc
    shared = platform_coordinates() if platform is None else platform
    link = _federation_link(document)
    names = _Names.of(document, link)
    definitions = [_guarded(definition, shared, names) for definition in document.definitions]
    if all(new is old for new, old in zip(definitions, document.definitions, strict=True)):
        return partner_sdl
    upgraded = link.upgraded(names.authenticated)
    return print_ast(replace(document, definitions=tuple(
        _with_link(definition, link.directive, upgraded) for definition in definitions)))


def _guarded(definition: DefinitionNode, shared: Collection[Coordinate],
             names: _Names) -> DefinitionNode:
    """``definition`` with ``@authenticated`` on its fields that need it (itself if none)."""
    if not isinstance(definition, _FIELDED) or definition.name.value.startswith("_"):
        return definition
    keys = _key_fields(definition, names.key)
    fields = tuple(
        field if _left_alone(definition.name.value, field, keys, shared, names)
        else replace(field, directives=(*(field.directives or ()), DirectiveNode(
            name=NameNode(value=names.authenticated), arguments=())))
        for field in definition.fields or ())
    if all(new is old for new, old in zip(fields, definition.fields or (), strict=True)):
        return definition
    return replace(definition, fields=fields)


def _with_link(definition: DefinitionNode, link: DirectiveNode,
               upgraded: DirectiveNode) -> DefinitionNode:
    if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode) \
            or link not in (definition.directives or ()):
        return definition
    return replace(definition, directives=tuple(
        upgraded if directive is link else directive for directive in definition.directives))


def _left_alone(type_name: str, field: FieldDefinitionNode, keys: frozenset[str],
                shared: Collection[Coordinate], names: _Names) -> bool:
    name = field.name.value
    used = {directive.name.value for directive in field.directives or ()}
    return (name in _FEDERATION_FIELDS or name in keys or (type_name, name) in shared
            or names.external in used or names.authenticated in used
            or names.requires_scopes in used)


def _coordinates(document: DocumentNode) -> Iterator[Coordinate]:
    for definition in document.definitions:
        if isinstance(definition, _FIELDED):
            for field in definition.fields or ():
                yield definition.name.value, field.name.value


@dataclass(slots=True)
class _FederationLink:
    """The SDL's ``@link`` to Federation 2: its version, import list and namespace."""

    directive: DirectiveNode
    version: tuple[int, int]
    imports: dict[str, str]
    """Imported directive name → its local name (both without ``@``)."""
    prefix: str

    def local(self, name: str) -> str:
        return self.imports.get(name, f"{self.prefix}__{name}")

    def upgraded(self, authenticated: str) -> DirectiveNode:
        """The link moved to a version with ``@authenticated``, importing it (unless the
        namespaced name is used)."""
        arguments = list(self.directive.arguments or ())
        if self.version < FIRST_WITH_AUTHENTICATED:
            major, minor = FIRST_WITH_AUTHENTICATED
            arguments = [_argument("url", StringValueNode(
                value=f"https://specs.apollo.dev/federation/v{major}.{minor}"))
                if argument.name.value == "url" else argument for argument in arguments]
        if authenticated == "authenticated" and "authenticated" not in self.imports:
            imported = _argument_value(self.directive, "import")
            values = list(imported.values) if isinstance(imported, ListValueNode
                                                         | ConstListValueNode) else []
            entry = _argument("import", ListValueNode(
                values=(*values, StringValueNode(value="@authenticated"))))
            arguments = [argument for argument in arguments
                         if argument.name.value != "import"] + [entry]
        return replace(self.directive, arguments=tuple(arguments))


@dataclass(frozen=True, slots=True)
class _Names:
    """The local names of the directives this module reads or adds."""

    authenticated: str
    requires_scopes: str
    key: str
    external: str

    @classmethod
    def of(cls, document: DocumentNode, link: _FederationLink) -> _Names:
        declared = {definition.name.value for definition in document.definitions
                    if isinstance(definition, DirectiveDefinitionNode)}
        authenticated = link.local("authenticated")
        if "authenticated" not in link.imports and "authenticated" not in declared:
            authenticated = "authenticated"
        return cls(authenticated, link.local("requiresScopes"), link.local("key"),
                   link.local("external"))


def _federation_link(document: DocumentNode) -> _FederationLink:
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            url = _string(_argument_value(directive, "url"))
            found = FEDERATION_URL.match(url or "") if directive.name.value == "link" else None
            if found is None or int(found.group(1)) != 2:
                continue
            prefix = _string(_argument_value(directive, "as")) or "federation"
            return _FederationLink(directive, (int(found.group(1)), int(found.group(2))),
                                   _imports(_argument_value(directive, "import")), prefix)
    raise TokenGuardError("a partner subgraph must be a Federation 2 subgraph: its SDL needs "
                          '@link(url: "https://specs.apollo.dev/federation/v2.5" or later)')


def _imports(value: ValueNode | None) -> dict[str, str]:
    imports: dict[str, str] = {}
    for item in value.values if isinstance(value, ListValueNode | ConstListValueNode) else ():
        if isinstance(item, StringValueNode):
            imports[item.value.lstrip("@")] = item.value.lstrip("@")
        elif isinstance(item, ObjectValueNode):
            fields = {field.name.value: _string(field.value) for field in item.fields}
            name = fields.get("name")
            if name:
                imports[name.lstrip("@")] = (fields.get("as") or name).lstrip("@")
    return imports


def _key_fields(definition: ObjectTypeDefinitionNode | ObjectTypeExtensionNode
                | InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode,
                key: str) -> frozenset[str]:
    """The top-level fields named by the type's ``@key`` field sets."""
    names: set[str] = set()
    for directive in definition.directives or ():
        fields = _string(_argument_value(directive, "fields")) \
            if directive.name.value == key else None
        if not fields:
            continue
        try:
            operation = parse(f"{{{fields}}}", no_location=True).definitions[0]
        except GraphQLError:
            continue   # composition reports the bad field set
        assert isinstance(operation, OperationDefinitionNode)
        names.update(selection.name.value for selection in operation.selection_set.selections
                     if isinstance(selection, FieldNode))
    return frozenset(names)


def _argument_value(directive: DirectiveNode, name: str) -> ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def _argument(name: str, value: ValueNode) -> ArgumentNode:
    return ArgumentNode(name=NameNode(value=name), value=value)


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None
