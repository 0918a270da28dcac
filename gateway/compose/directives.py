"""Reads the directives applied in one subgraph: federation ones become attributes, the ones
the supergraph keeps are renamed to their canonical names, unknown ones are errors."""

from dataclasses import dataclass, replace

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    FieldDefinitionNode,
    InputValueDefinitionNode,
    NameNode,
    Node,
    StringValueNode,
)

from gateway.compose import errors
from gateway.compose.errors import CompositionError, ErrorFactory
from gateway.compose.links import FEDERATION_DIRECTIVES, Links
from gateway.compose.model import Argument, ComposedDirective, Field, Key, Subgraph, TypeDef
from gateway.compose.report import did_you_mean

BUILTIN_DIRECTIVES = frozenset({"deprecated", "specifiedBy", "include", "skip"})
KEPT_FEDERATION = frozenset({"tag", "inaccessible", "authenticated", "requiresScopes", "policy",
                             "cost", "listSize"})
AUTH_DIRECTIVES = frozenset({"authenticated", "requiresScopes", "policy"})
EXECUTABLE_LOCATIONS = frozenset({
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT", "VARIABLE_DEFINITION",
})


@dataclass
class DefinitionFlags:
    """Type-level ``@shareable``/``@external``: they apply to the fields of that definition."""

    shareable: bool = False
    external: bool = False


_TYPE_LOCATIONS = {"object": "OBJECT", "interface": "INTERFACE", "union": "UNION",
                   "enum": "ENUM", "input": "INPUT_OBJECT", "scalar": "SCALAR"}


class DirectiveReader:
    """Turns one subgraph's applied directives into model attributes, collecting errors."""

    def __init__(self, links: Links, document: DocumentNode, subgraph: Subgraph,
                 error: ErrorFactory) -> None:
        self.links = links
        self.subgraph = subgraph
        self.error = error
        self.errors: list[CompositionError] = []
        self.defined = {
            d.name.value: d for d in document.definitions if isinstance(d, DirectiveDefinitionNode)
        }
        self.composed = self._composed_names()

    def is_spec_type(self, name: str) -> bool:
        """Types that belong to the federation or link specs themselves."""
        return name.startswith(("link__", "federation__")) or name in ("Import", "Purpose")

    def record_definition(self, node: DirectiveDefinitionNode) -> None:
        name = node.name.value
        if name in BUILTIN_DIRECTIVES or name == self.links.link_name:
            return
        if self.links.canonical(name) is not None:
            return
        if name in self.composed:
            url, imported = self.links.foreign.get(name, (None, None))
            self.subgraph.composed[name] = ComposedDirective(name, node, url, imported)
        elif any(location.value in EXECUTABLE_LOCATIONS for location in node.locations):
            self.subgraph.executable_directives[name] = node

    def read_type_directives(self, typedef: TypeDef, node: Node, is_extension: bool
                             ) -> DefinitionFlags:
        """Apply a type definition's directives; returns what they say about its fields."""
        flags = DefinitionFlags()
        for directive in getattr(node, "directives", None) or ():
            canonical = self.links.canonical(directive.name.value)
            if canonical == "key":
                typedef.keys.append(self._key(directive, is_extension or typedef.extends))
            elif canonical == "shareable":
                flags.shareable = typedef.shareable = True
            elif canonical == "external":
                flags.external = True
            elif canonical == "interfaceObject":
                typedef.interface_object = True
            elif canonical == "context":
                typedef.contexts.append(_string(directive, "name") or "")
                typedef.directives.append(self._context(directive))
            elif canonical == "extends":
                typedef.extends = True
                typedef.keys = [replace(key, extension=True) for key in typedef.keys]
            else:
                typedef.directives.extend(self.kept([directive], _TYPE_LOCATIONS[typedef.kind]))
        return flags

    def read_field(self, node: FieldDefinitionNode | InputValueDefinitionNode,
                   shareable: bool) -> Field:
        field = Field(node.name.value, node.type,
                      node.description.value if node.description else None, node,
                      default=getattr(node, "default_value", None),
                      shareable=shareable)
        for argument in getattr(node, "arguments", None) or ():
            from_context = [d for d in argument.directives or ()
                            if self.links.canonical(d.name.value) == "fromContext"]
            others = [d for d in argument.directives or () if d not in from_context]
            if from_context:
                self.subgraph.features_used.add("context")
            field.args[argument.name.value] = Argument(
                argument.name.value, argument.type, argument.default_value,
                argument.description.value if argument.description else None,
                self.kept(others, "ARGUMENT_DEFINITION"), argument,
                _string(from_context[0], "field") if from_context else None)
        for directive in node.directives or ():
            canonical = self.links.canonical(directive.name.value)
            if canonical == "external":
                field.external = True
            elif canonical == "shareable":
                field.shareable = field.shareable_applied = True
            elif canonical == "requires":
                field.requires = _string(directive, "fields")
            elif canonical == "provides":
                field.provides = _string(directive, "fields")
            elif canonical == "override":
                field.override_from = _string(directive, "from")
                field.override_label = _string(directive, "label")
            else:
                location = "INPUT_FIELD_DEFINITION" if isinstance(node, InputValueDefinitionNode) \
                    else "FIELD_DEFINITION"
                field.directives.extend(self.kept([directive], location))
        return field

    def kept(self, directives: tuple[DirectiveNode, ...] | list[DirectiveNode] | None,
             location: str) -> list[DirectiveNode]:
        """The directives the supergraph carries, renamed; reports unknown ones."""
        kept = []
        for directive in directives or ():
            local = directive.name.value
            canonical = self.links.canonical(local)
            if canonical in KEPT_FEDERATION:
                self.subgraph.features_used.add(canonical)
                kept.append(DirectiveNode(name=NameNode(value=canonical),
                                          arguments=directive.arguments, loc=directive.loc))
            elif local in BUILTIN_DIRECTIVES or local in self.composed:
                kept.append(directive)
            elif canonical in ("context", "fromContext"):
                self.errors.append(self.error(
                    errors.INVALID_GRAPHQL,
                    f'Directive "@{local}" may not be used on {location}.', directive,
                    "use @context on object, interface or union types and @fromContext on "
                    "field arguments"))
            elif canonical is None and local not in self.defined:
                self.errors.append(self._unknown(directive))
        return kept

    def _unknown(self, directive: DirectiveNode) -> CompositionError:
        name = directive.name.value
        known = [f"@{n}" for n in [*self.links.names, *BUILTIN_DIRECTIVES, *self.defined,
                                    self.links.link_name]]
        message = f'Unknown directive "@{name}".{did_you_mean(f"@{name}", known)}'
        hint = f"define it with `directive @{name} ... on ...`, or remove it"
        if self.links.fed2 and name in FEDERATION_DIRECTIVES:
            message = (f'Unknown directive "@{name}". If you meant the "@{name}" federation '
                       f'directive, you should use fully-qualified name '
                       f'"@{self.links.namespace}__{name}" or add "@{name}" to the `import` '
                       'argument of the @link to the federation specification.')
            hint = f'add "@{name}" to the `import` list of the federation @link'
        elif name in FEDERATION_DIRECTIVES:
            message = (f'Unknown directive "@{name}". If you meant the "@{name}" federation 2 '
                       "directive, note that this schema is a federation 1 schema. To be a "
                       "federation 2 schema, it needs to @link to the federation specifcation "
                       "v2.")
            hint = ('make this a federation 2 subgraph: `extend schema @link(url: '
                    f'"https://specs.apollo.dev/federation/v2.11", import: ["@{name}"])`')
        return self.error(errors.INVALID_GRAPHQL, message, directive, hint)

    def _context(self, directive: DirectiveNode) -> DirectiveNode:
        """``@context(name: "c")`` becomes ``@context(name: "<subgraph>__c")`` (names are per
        subgraph; Apollo qualifies them the same way)."""
        self.subgraph.features_used.add("context")
        qualified = f"{self.subgraph.name}__{_string(directive, 'name') or ''}"
        return DirectiveNode(name=NameNode(value="context"), arguments=(ArgumentNode(
            name=NameNode(value="name"), value=StringValueNode(value=qualified)),))

    def _key(self, directive: DirectiveNode, extension: bool) -> Key:
        resolvable = next((a.value for a in directive.arguments or ()
                           if a.name.value == "resolvable"), None)
        return Key(_string(directive, "fields") or "",
                   not (isinstance(resolvable, BooleanValueNode) and not resolvable.value),
                   extension, directive, resolvable is not None)

    def _composed_names(self) -> set[str]:
        names = set()
        for name, directive in self.links.compose_directives:
            local = name.lstrip("@")
            if local not in self.defined:
                self._compose_error(
                    f'Could not find matching directive definition for argument to '
                    f'@composeDirective "{name}" in subgraph "{self.subgraph.name}".',
                    directive, f"add a `directive {name}(...) on ...` definition")
            elif local not in self.links.foreign:
                self._compose_error(
                    f'Directive "{name}" in subgraph "{self.subgraph.name}" cannot be composed '
                    f'because it is not a member of a core feature',
                    directive, f'import "{name}" with `@link(url: "<your spec URL>", '
                    f'import: ["{name}"])`')
            names.add(local)
        return names


    def _compose_error(self, message: str, directive: DirectiveNode, hint: str) -> None:
        """Apollo words these without the ``[subgraph]`` prefix (the message names it)."""
        error = self.error(errors.DIRECTIVE_COMPOSITION_ERROR, message, directive, hint)
        self.errors.append(replace(error, message=message))


def _string(directive: DirectiveNode, name: str) -> str | None:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, StringValueNode):
            return argument.value.value
    return None
