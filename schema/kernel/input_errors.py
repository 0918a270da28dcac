"""Where in the input a value was refused: ``extensions.field`` of BAD_USER_INPUT errors.

A scalar that cannot parse its input (our ``DateTime``: :mod:`schema.kernel.graphql_types`)
makes graphql-core report an error carrying the scalar's ``extensions.code``, but graphql-core
keeps the value's place only in the message (a variable: "Variable '$input' has invalid value
at .items[0].occurredAt") or in ``locations`` (a literal, refused by validation), and the
gateway drops locations: they point into the document it wrote for the subgraph, not into
the client's. :func:`locate_input_errors` recomputes the place with graphql-core's own input
validation and adds it as ``extensions.field``: the variable's or the argument's name, then
input field names and list indices as strings (the form of ``UserError.field``), beside
``extensions.variable`` or ``extensions.argument``; a literal's message names the place too,
as graphql-core's message for a variable does.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    ValueNode,
    VariableDefinitionNode,
    Visitor,
    type_from_ast,
    visit,
)
from graphql.utilities.validate_input_value import validate_input_value

from schema.kernel.errors import ErrorCode

Field = list[str]


def locate_input_errors(schema: GraphQLSchema, document: DocumentNode,
                        variables: Mapping[str, Any],
                        errors: Sequence[GraphQLError]) -> list[GraphQLError]:
    """``errors`` with ``extensions.field`` added to each BAD_USER_INPUT error about a value
    of the document or of its variables (the others are returned as they are)."""
    paths: dict[str, list[Field]] = {}
    located = []
    for error in errors:
        node = error.nodes[0] if error.nodes else None
        extensions = error.extensions or {}
        if extensions.get("code") != ErrorCode.BAD_USER_INPUT or "field" in extensions:
            located.append(error)
            continue
        if isinstance(node, VariableDefinitionNode):
            name = node.variable.name.value
            if name not in paths:
                paths[name] = _variable_paths(schema, node, variables.get(name))
            place = {"variable": name, "field": [name, *paths[name].pop(0)]} if paths[name] else {}
            message = error.message
        else:
            field = _literal_field(document, node)
            place = {"argument": field[0], "field": field} if field else {}
            message = (f"Argument '{field[0]}' has invalid value{_printed(field[1:])}: "
                       f"{error.message}" if field else error.message)
        located.append(_with(error, message, place) if place else error)
    return located


def _with(error: GraphQLError, message: str, place: dict[str, Any]) -> GraphQLError:
    return GraphQLError(message, error.nodes, path=error.path,
                        original_error=error.original_error,
                        extensions={**(error.extensions or {}), **place})


def _printed(path: Field) -> str:
    """``items[1].occurredAt`` as graphql-core prints a variable's path ("" at the top)."""
    text = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in path)
    return f" at {text}" if text else ""


def _variable_paths(schema: GraphQLSchema, definition: VariableDefinitionNode,
                    value: Any) -> list[Field]:
    """The place of every problem graphql-core reports for this variable's value, in the
    order it reports them (it runs the same validation)."""
    type_ = type_from_ast(schema, definition.type)
    found: list[Field] = []
    if type_ is not None:
        validate_input_value(value, type_,  # type: ignore[arg-type]
                             lambda _error, path: found.append([str(p) for p in path]))
    return found


def _literal_field(document: DocumentNode, target: Node | None) -> Field | None:
    """The argument name and input path of a literal value node, or None."""
    if target is None:
        return None
    found: list[Field] = []

    class _Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            inside = _value_path(node.value, target)
            if inside is not None:
                found.append([node.name.value, *inside])

    visit(document, _Arguments())
    return found[0] if found else None


def _value_path(value: ValueNode, target: Node) -> Field | None:
    if value is target:
        return []
    if isinstance(value, ObjectValueNode):
        children: list[tuple[str, ValueNode]] = [(f.name.value, f.value) for f in value.fields]
    elif isinstance(value, ListValueNode):
        children = [(str(i), item) for i, item in enumerate(value.values)]
    else:
        return None
    for key, child in children:
        inside = _value_path(child, target)
        if inside is not None:
            return [key, *inside]
    return None
