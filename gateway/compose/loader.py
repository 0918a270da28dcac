"""Stage 1: a subgraph's SDL parsed and normalised into ``model.Subgraph``.

Federation plumbing (``_service``, ``_entities``, ``_Any``, ``FieldSet``, the federation
directive definitions) is dropped; federation directives become attributes; roots are
renamed to Query/Mutation/Subscription as the supergraph names them.
"""

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NameNode,
    Node,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
)

from gateway.compose import errors
from gateway.compose.directives import DirectiveReader
from gateway.compose.errors import CompositionError, line_of
from gateway.compose.federation1 import upgrade_federation1
from gateway.compose.links import LinkError, read_links
from gateway.compose.model import EnumValue, Subgraph, TypeDef
from gateway.compose.references import unknown_type_errors
from gateway.compose.shareable import mark_shareable, unmark_fake_externals
from gateway.compose.source import SubgraphSource

_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
_FEDERATION_TYPES = {"_Service", "_Any", "_Entity", "_FieldSet", "FieldSet", "policy__Policy",
                     "requiresScopes__Scope", "federation__Scope", "federation__Policy",
                     "federation__ContextFieldValue", "federation__FieldSet"}
_FEDERATION_ROOT_FIELDS = {"_service", "_entities"}
_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object", ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface", InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union", UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum", EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input", InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar", ScalarTypeExtensionNode: "scalar",
}


def load_subgraph(source: SubgraphSource) -> tuple[Subgraph | None, list[CompositionError]]:
    """Parse and normalise one subgraph; on failure, the errors that point at its SDL."""
    def error(code: str, message: str, node: Node | None,
              hint: str | None = None) -> CompositionError:
        return CompositionError(code, f"[{source.name}] {message}", source.name, source.file,
                                line_of(node), hint)

    try:
        document = parse(source.sdl)
    except GraphQLSyntaxError as exc:
        line = exc.locations[0].line if exc.locations else None
        return None, [CompositionError(errors.INVALID_GRAPHQL, f"[{source.name}] {exc.message}",
                                       source.name, source.file, line,
                                       "fix the SDL so that it parses as GraphQL")]
    try:
        links = read_links(document)
    except LinkError as exc:
        return None, [error(exc.code, str(exc), exc.node, exc.hint)]
    if links.problems:
        return None, [error(p.code, str(p), p.node, p.hint) for p in links.problems]
    subgraph = Subgraph(source.name, source.url, source.file, links.fed2, links.version, {},
                        imported_names=dict(links.imported))
    reader = DirectiveReader(links, document, subgraph, error)
    roots = _root_names(document)
    subgraph.description = next(
        (d.description.value for d in document.definitions
         if isinstance(d, SchemaDefinitionNode) and d.description), None)
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            reader.record_definition(definition)
        elif isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            _add_type(subgraph, definition, roots, reader)
    _drop_federation_root_fields(subgraph)
    unmark_fake_externals(subgraph)
    if not links.fed2:
        upgrade_federation1(subgraph)
    mark_shareable(subgraph)
    problems = reader.errors + unknown_type_errors(subgraph, error)
    return (None, problems) if problems else (subgraph, [])


def _root_names(document: DocumentNode) -> dict[str, str]:
    """Subgraph root type name → the supergraph's (``RootQuery`` → ``Query``)."""
    renames: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            for operation in definition.operation_types or ():
                renames[operation.type.name.value] = _ROOTS[operation.operation.value]
    return renames


def _add_type(subgraph: Subgraph, node: Node, roots: dict[str, str],
              reader: DirectiveReader) -> None:
    name_node: NameNode = node.name  # type: ignore[attr-defined]
    name = roots.get(name_node.value, name_node.value)
    if name in _FEDERATION_TYPES or reader.is_spec_type(name):
        return
    kind = _KINDS[type(node)]
    typedef = subgraph.types.get(name)
    if typedef is None:
        typedef = TypeDef(kind, name, None, node)
        subgraph.types[name] = typedef
    is_extension = isinstance(node, TypeExtensionNode)
    if not is_extension and typedef.has_definition:
        reader.errors.append(reader.error(errors.INVALID_GRAPHQL,
                                          f'There can be only one type named "{name}"', node,
                                          f'merge the two definitions of "{name}", or use '
                                          f"`extend type {name}` for the second"))
    if not is_extension:
        typedef.has_definition = True
        typedef.node = node
        description = getattr(node, "description", None)
        typedef.description = description.value if description else typedef.description
    flags = reader.read_type_directives(typedef, node, is_extension)
    for interface in getattr(node, "interfaces", None) or ():
        typedef.interfaces.append(interface.name.value)
    for member in getattr(node, "types", None) or ():
        typedef.members.append(member.name.value)
    for value in getattr(node, "values", None) or ():
        typedef.values[value.name.value] = EnumValue(
            value.name.value, value.description.value if value.description else None,
            reader.kept(value.directives, "ENUM_VALUE"), value)
    for field_node in getattr(node, "fields", None) or ():
        if field_node.name.value in typedef.fields:
            reader.errors.append(reader.error(
                errors.INVALID_GRAPHQL, f"Field {field_node.name.value} already exists on {name}",
                field_node, f'remove one of the two "{name}.{field_node.name.value}" definitions'))
        field = reader.read_field(field_node, flags.shareable)
        field.external = field.external or flags.external
        typedef.fields[field_node.name.value] = field


def _drop_federation_root_fields(subgraph: Subgraph) -> None:
    """Drop ``_service``/``_entities``; keep Query, which every federated subgraph has."""
    query = subgraph.types.setdefault("Query", TypeDef("object", "Query", None, None))
    query.has_definition = True
    for name in _FEDERATION_ROOT_FIELDS:
        query.fields.pop(name, None)
