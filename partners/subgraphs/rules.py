"""What a partner subgraph may declare beside the platform's subgraphs.

Composition alone would accept a partner subgraph that takes over part of the platform's
graph: a field marked ``@override(from: "stores")``, a ``@shareable`` copy of a platform
field the query planner may then fetch from the partner, a new value in a platform enum, a
root field named like a platform one. None of that is a partner's to change, so before
composing, a partner SDL is held to these rules (each violation names the elements):

- it may **add** fields to the platform's entities (a platform type with ``@key``): the
  fields of the platform type it declares must be the platform's key fields or be marked
  ``@external`` (to use them in ``@requires``/``@key``); any other field the platform's type
  already has is refused as shadowing it (``SHADOWS_PLATFORM_FIELD``);
- it may add root fields (``Query``, ``Mutation``, ``Subscription``) whose names the platform
  does not use (``SHADOWS_PLATFORM_FIELD`` otherwise);
- it may declare the platform's scalars (``DateTime`` …) and its ``@shareable`` value types
  (``Money``, ``PageInfo`` …) with a subset of their fields, to return them; any other
  platform type (enums, inputs, interfaces, unions, other objects) is the platform's
  (``PLATFORM_TYPE``): a partner defines its own;
- it may not mark ``@external`` a platform field the platform guards with
  ``@requiresScopes``, ``@authenticated`` or ``@policy`` (``GUARDED_PLATFORM_FIELD``): with
  ``@requires`` the gateway would send that data to the partner's server (the key fields and
  unguarded ``@requires`` fields of the entities queried are sent to it, as to any subgraph);
- ``@override`` is never allowed (``OVERRIDE_NOT_ALLOWED``);
- type and field names may not start with ``_`` nor use the ``join__`` supergraph prefix
  (``RESERVED_NAME``), except the federation names a subgraph library prints itself
  (``_service``, ``_entities``, ``_Any``, ``_Entity``, ``_Service``, ``link__``/``federation__``
  definitions).

:func:`contributions` names what a subgraph adds (its own types and the fields it resolves),
the part of the graph a re-registration must not break.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graphql import (
    DefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListValueNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    parse,
)

ROOTS = ("Query", "Mutation", "Subscription")
FEDERATION_TYPES = frozenset(("_Any", "_Entity", "_Service", "_FieldSet", "FieldSet"))
FEDERATION_FIELDS = frozenset(("Query._service", "Query._entities"))
SPEC_PREFIXES = ("link__", "federation__")
RESERVED_PREFIXES = ("_", "join__")

INVALID_GRAPHQL = "INVALID_GRAPHQL"
RESERVED_NAME = "RESERVED_NAME"
PLATFORM_TYPE = "PLATFORM_TYPE"
SHADOWS_PLATFORM_FIELD = "SHADOWS_PLATFORM_FIELD"
OVERRIDE_NOT_ALLOWED = "OVERRIDE_NOT_ALLOWED"
GUARDED_PLATFORM_FIELD = "GUARDED_PLATFORM_FIELD"
AUTH_DIRECTIVES = ("requiresScopes", "authenticated", "policy")

TypeNode = TypeDefinitionNode | TypeExtensionNode
_FIELDED = (ObjectTypeDefinitionNode, ObjectTypeExtensionNode, InterfaceTypeDefinitionNode,
            InterfaceTypeExtensionNode)
_INPUTS = (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)
_SCALARS = (ScalarTypeDefinitionNode, ScalarTypeExtensionNode)


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule a partner SDL breaks: a code and a message naming the elements."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class PlatformShape:
    """The platform's types: kind, fields, key fields, and which are shared value types."""

    kinds: dict[str, type] = field(default_factory=dict)
    fields: dict[str, frozenset[str]] = field(default_factory=dict)
    keys: dict[str, frozenset[str]] = field(default_factory=dict)
    shareable: frozenset[str] = frozenset()
    guarded: frozenset[str] = frozenset()
    """``Type.field`` coordinates the platform guards (on the field, or on its type)."""

    @classmethod
    def of(cls, sdls: Iterable[str]) -> "PlatformShape":
        kinds: dict[str, type] = {}
        fields: dict[str, set[str]] = {}
        keys: dict[str, set[str]] = {}
        shareable: set[str] = set()
        guarded: set[str] = set()
        guarded_types: set[str] = set()
        returns: dict[str, str] = {}
        for sdl in sdls:
            document = parse(sdl)
            roots = _root_names(document)
            for node in _types(document):
                name = roots.get(node.name.value, node.name.value)
                kinds.setdefault(name, _kind(node))
                fields.setdefault(name, set()).update(f.name.value for f in _fields(node))
                for fieldset in _directive_args(node.directives, ("key",), "fields"):
                    keys.setdefault(name, set()).update(_top_level_names(fieldset))
                if _has(node.directives, "shareable"):
                    shareable.add(name)
                if _has(node.directives, *AUTH_DIRECTIVES):
                    guarded_types.add(name)
                for definition in _fields(node):
                    coordinate = f"{name}.{definition.name.value}"
                    returns[coordinate] = _base_type(definition)
                    if _has(definition.directives, *AUTH_DIRECTIVES):
                        guarded.add(coordinate)
        guarded.update(c for c, returned in returns.items() if returned in guarded_types)
        return cls(kinds=kinds, fields={k: frozenset(v) for k, v in fields.items()},
                   keys={k: frozenset(v) for k, v in keys.items()},
                   shareable=frozenset(shareable - keys.keys()), guarded=frozenset(guarded))


def parse_sdl(sdl: str) -> DocumentNode | Violation:
    try:
        return parse(sdl)
    except GraphQLError as exc:
        return Violation(INVALID_GRAPHQL, f"the subgraph's SDL does not parse: {exc.message}"
                         + (f" (line {exc.locations[0].line})" if exc.locations else ""))


def violations(document: DocumentNode, platform: PlatformShape) -> list[Violation]:
    """Every rule ``document`` (a partner subgraph's SDL) breaks; empty when it may compose."""
    found: list[Violation] = []
    roots = _root_names(document)
    overrides = _aliases(document, "override")
    for node in _types(document):
        name = roots.get(node.name.value, node.name.value)
        if _spec_type(name):
            continue
        if name.startswith(RESERVED_PREFIXES):
            found.append(Violation(RESERVED_NAME, f'type "{name}": names starting with '
                                   f'{" or ".join(RESERVED_PREFIXES)} are reserved'))
            continue
        for definition in _fields(node):
            coordinate = f"{name}.{definition.name.value}"
            if _has(definition.directives, *overrides):
                found.append(Violation(OVERRIDE_NOT_ALLOWED, f'"{coordinate}" uses @override: '
                                       "a partner subgraph may not take fields over"))
            if definition.name.value.startswith("_") and coordinate not in FEDERATION_FIELDS:
                found.append(Violation(RESERVED_NAME, f'field "{coordinate}": names starting '
                                       "with _ are reserved"))
        if name in platform.kinds and name not in ROOTS:
            found += _platform_type_use(name, node, platform)
    found += _root_shadows(document, roots, platform)
    return found


def contributions(document: DocumentNode, platform: PlatformShape
                  ) -> tuple[frozenset[str], frozenset[str]]:
    """The types a partner subgraph defines (not the platform's) and the fields it resolves
    (``Type.field``, not ``@external``, not the platform's)."""
    roots = _root_names(document)
    types: set[str] = set()
    resolved: set[str] = set()
    for node in _types(document):
        name = roots.get(node.name.value, node.name.value)
        if _spec_type(name):
            continue
        if name not in platform.kinds:
            types.add(name)
        own = platform.fields.get(name, frozenset())
        resolved.update(f"{name}.{f.name.value}" for f in _fields(node)
                        if f.name.value not in own and not _has(f.directives, "external")
                        and f"{name}.{f.name.value}" not in FEDERATION_FIELDS)
    return frozenset(types), frozenset(resolved)


def _platform_type_use(name: str, node: TypeNode, platform: PlatformShape) -> list[Violation]:
    kind = platform.kinds[name]
    if kind is ScalarTypeDefinitionNode and isinstance(node, _SCALARS):
        return []
    own = platform.fields.get(name, frozenset())
    declared = list(_fields(node))
    if name in platform.keys and isinstance(node, _FIELDED):
        keys = platform.keys[name]
        shadowed = [f"{name}.{f.name.value}" for f in declared
                    if f.name.value in own and f.name.value not in keys
                    and not _has(f.directives, "external")]
        guarded = [f"{name}.{f.name.value}" for f in declared
                   if _has(f.directives, "external")
                   and f"{name}.{f.name.value}" in platform.guarded]
        found = [Violation(SHADOWS_PLATFORM_FIELD, f"{', '.join(shadowed)}: the platform resolves "
                           f"{'this field' if len(shadowed) == 1 else 'these fields'}; a partner "
                           f"subgraph may add fields to {name} but may declare the platform's "
                           "only as key fields or @external")] if shadowed else []
        if guarded:
            found.append(Violation(GUARDED_PLATFORM_FIELD, f"{', '.join(guarded)}: the platform "
                                   "guards this data with scopes; a partner subgraph may not "
                                   "mark it @external (nor @require it)"))
        return found
    if name in platform.shareable and isinstance(node, _FIELDED):
        added = [f"{name}.{f.name.value}" for f in declared if f.name.value not in own]
        return [Violation(PLATFORM_TYPE, f"{', '.join(added)}: {name} is the platform's shared "
                          "value type; a partner subgraph may return it but not add fields "
                          "to it")] if added else []
    return [Violation(PLATFORM_TYPE, f'type "{name}" is the platform\'s; a partner subgraph '
                      "may extend the platform's entities but not redefine its other types "
                      "(name your own type differently)")]


def _root_shadows(document: DocumentNode, roots: dict[str, str],
                  platform: PlatformShape) -> list[Violation]:
    shadowed: list[str] = []
    for node in _types(document):
        name = roots.get(node.name.value, node.name.value)
        if name in ROOTS:
            own = platform.fields.get(name, frozenset())
            shadowed += [f"{name}.{f.name.value}" for f in _fields(node)
                         if f.name.value in own and f"{name}.{f.name.value}"
                         not in FEDERATION_FIELDS]
    if not shadowed:
        return []
    return [Violation(SHADOWS_PLATFORM_FIELD, f"{', '.join(shadowed)}: the platform has "
                      f"{'this root field' if len(shadowed) == 1 else 'these root fields'}; "
                      "a partner subgraph's root fields need names of their own")]


def _base_type(definition: FieldDefinitionNode | InputValueDefinitionNode) -> str:
    node = definition.type
    while not isinstance(node, NamedTypeNode):
        node = node.type
    return node.name.value


def _spec_type(name: str) -> bool:
    return name in FEDERATION_TYPES or name.startswith(SPEC_PREFIXES)


def _types(document: DocumentNode) -> list[TypeNode]:
    return [d for d in document.definitions
            if isinstance(d, TypeDefinitionNode | TypeExtensionNode)]


def _kind(node: DefinitionNode) -> type:
    """The definition class of a node (an extension counts as its definition's kind)."""
    for definition, extension in ((ObjectTypeDefinitionNode, ObjectTypeExtensionNode),
                                  (InterfaceTypeDefinitionNode, InterfaceTypeExtensionNode),
                                  (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode),
                                  (EnumTypeDefinitionNode, EnumTypeExtensionNode),
                                  (ScalarTypeDefinitionNode, ScalarTypeExtensionNode)):
        if isinstance(node, definition | extension):
            return definition
    return type(node)


def _fields(node: TypeNode) -> Sequence[FieldDefinitionNode | InputValueDefinitionNode]:
    if isinstance(node, _FIELDED + _INPUTS):
        return node.fields or ()
    return ()


def _root_names(document: DocumentNode) -> dict[str, str]:
    """Renamed root types (``schema { query: Root }``) to Query/Mutation/Subscription."""
    names: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation in definition.operation_types or ():
                names[operation.type.name.value] = operation.operation.value.capitalize()
    return names


def _aliases(document: DocumentNode, directive: str) -> tuple[str, ...]:
    """The names ``@directive`` goes by: its own, ``federation__`` and any ``@link`` import
    renaming it (``{name: "@override", as: "@take"}``)."""
    names = [directive, f"federation__{directive}"]
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for link in definition.directives or ():
            for argument in link.arguments or ():
                if argument.name.value != "import" or not isinstance(argument.value,
                                                                     ListValueNode):
                    continue
                for item in argument.value.values:
                    if isinstance(item, ObjectValueNode):
                        renamed = {f.name.value: f.value.value for f in item.fields
                                   if isinstance(f.value, StringValueNode)}
                        if renamed.get("name") == f"@{directive}" and "as" in renamed:
                            names.append(renamed["as"].removeprefix("@"))
    return tuple(names)


def _has(directives: Sequence[DirectiveNode] | None, *names: str) -> bool:
    return any(d.name.value in names for d in directives or ())


def _directive_args(directives: Sequence[DirectiveNode] | None, names: Sequence[str],
                    argument: str) -> list[str]:
    return [a.value.value for d in directives or () if d.name.value in names
            for a in d.arguments or () if a.name.value == argument
            and isinstance(a.value, StringValueNode)]


def _top_level_names(fieldset: str) -> set[str]:
    """The first-level field names of a field set (``"id owner { id }"`` → id, owner)."""
    names: set[str] = set()
    depth = 0
    for token in fieldset.replace("{", " { ").replace("}", " } ").split():
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0:
            names.add(token)
    return names
