"""The client-facing API schema: the supergraph minus federation machinery and @inaccessible.

Works on the SDL AST so the result prints and introspects like the schema Apollo exposes:
``join__``/``link__`` types and directives go, spec directives (``@tag``, ``@inaccessible``,
auth directives) are stripped from every element, and @inaccessible types, fields, arguments,
enum values and input fields disappear along with their references.
"""

from typing import Any

from graphql import (
    REMOVE,
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLSchema,
    Node,
    TypeDefinitionNode,
    TypeExtensionNode,
    Visitor,
    build_ast_schema,
    visit,
)

MACHINERY_SPECS = (
    "link",
    "join",
    "inaccessible",
    "tag",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "cost",
)


def build_api_schema(document: DocumentNode, names: dict[str, str]) -> GraphQLSchema:
    """Strip ``document`` (the parsed supergraph) down to the API schema."""
    inaccessible = names.get("inaccessible", "inaccessible")
    hidden_types = {
        node.name.value
        for node in document.definitions
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode) and _has(node, inaccessible)
    }
    stripped = visit(document, _ApiVisitor(names, inaccessible, hidden_types))
    return build_ast_schema(stripped, assume_valid_sdl=True)


def _has(node: Node, directive: str) -> bool:
    return any(d.name.value == directive for d in getattr(node, "directives", None) or ())


class _ApiVisitor(Visitor):
    """Removes federation machinery and @inaccessible elements from the supergraph AST."""

    def __init__(self, names: dict[str, str], inaccessible: str, hidden_types: set[str]) -> None:
        super().__init__()
        self.inaccessible = inaccessible
        self.hidden_types = hidden_types
        spec_names = {names.get(spec, spec) for spec in MACHINERY_SPECS} | set(MACHINERY_SPECS)
        self.directive_names = spec_names | {
            alias for key, alias in names.items() if key in MACHINERY_SPECS
        }
        self.prefixes = tuple(f"{name}__" for name in spec_names)

    def _machinery(self, name: str) -> bool:
        return name in self.directive_names or name.startswith(self.prefixes)

    def enter_directive(self, node: Any, *_: Any) -> Any:
        return REMOVE if self._machinery(node.name.value) else None

    def enter_directive_definition(self, node: DirectiveDefinitionNode, *_: Any) -> Any:
        return REMOVE if self._machinery(node.name.value) else None

    def enter(self, node: Node, *_: Any) -> Any:
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            name = node.name.value
            if name in self.hidden_types or self._machinery(name):
                return REMOVE
            return self._without_hidden_references(node)
        if _has(node, self.inaccessible) and node.kind in _HIDEABLE:
            return REMOVE
        return None

    def _without_hidden_references(self, node: Node) -> Any:
        changes = {}
        for attribute in ("interfaces", "types"):
            refs = getattr(node, attribute, None)
            if refs and any(ref.name.value in self.hidden_types for ref in refs):
                kept = tuple(ref for ref in refs if ref.name.value not in self.hidden_types)
                changes[attribute] = kept
        if not changes:
            return None
        values = {key: getattr(node, key) for key in node.keys if key != "loc"}
        return node.__class__(**{**values, **changes})


_HIDEABLE = {
    "field_definition",
    "input_value_definition",
    "enum_value_definition",
}
