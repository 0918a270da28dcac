"""``FieldSet`` strings (``@key``, ``@requires``, ``@provides``) parsed and walked."""

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import FieldNode, GraphQLSyntaxError, InlineFragmentNode, SelectionSetNode, parse
from graphql.language import OperationDefinitionNode

from gateway.compose.model import Field, TypeDef
from gateway.compose.types import base_name


class FieldSetSyntaxError(ValueError):
    """The field set is not a valid selection set."""


@dataclass(frozen=True)
class Selected:
    """One field a field set selects; ``field`` is None when the parent has no such field."""

    parent: str
    name: str
    field: Field | None
    node: FieldNode


def parse_field_set(fields: str) -> SelectionSetNode:
    try:
        document = parse("{" + fields + "}", no_location=True)
    except GraphQLSyntaxError as exc:
        raise FieldSetSyntaxError(exc.message) from exc
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def selected_fields(
    selection_set: SelectionSetNode, parent: str, types: dict[str, TypeDef]
) -> Iterator[Selected]:
    """Every field selected, nested ones included (their parent is the field's type)."""
    owner = types.get(parent)
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner = condition.name.value if condition else parent
            yield from selected_fields(selection.selection_set, inner, types)
            continue
        if not isinstance(selection, FieldNode) or selection.name.value == "__typename":
            continue
        found = owner.fields.get(selection.name.value) if owner else None
        yield Selected(parent, selection.name.value, found, selection)
        if found is not None and selection.selection_set is not None:
            yield from selected_fields(selection.selection_set, base_name(found.type), types)


def field_coordinates(fields: str, parent: str, types: dict[str, TypeDef]) -> set[str]:
    """``Type.field`` of everything a (valid) field set selects; empty when it does not parse."""
    try:
        selection_set = parse_field_set(fields)
    except FieldSetSyntaxError:
        return set()
    return {f"{s.parent}.{s.name}" for s in selected_fields(selection_set, parent, types)}
