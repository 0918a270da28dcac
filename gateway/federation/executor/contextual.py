"""One ``_entities`` call for a contextual fetch whose entities carry different context values.

A ``contextualArgument_*`` variable holds one value, so when the entities of a fetch read
different ``@fromContext`` values the operation repeats its ``_entities`` field once per set of
values, as Apollo Router does: ``_0: _entities(representations: $representations_0)`` with
the context variables suffixed the same way. The subgraph still gets a single request.
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)

from ..plan import Fetch


def batched_operation(fetch: Fetch, count: int) -> tuple[str, DocumentNode]:
    """The fetch's operation with its ``_entities`` field repeated ``count`` times."""
    operation = fetch.document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    entities = operation.selection_set.selections[0]
    assert isinstance(entities, FieldNode)
    per_batch = {"representations", *(context.variable for context in fetch.contexts)}
    definitions = [
        d for d in operation.variable_definitions or () if d.variable.name.value not in per_batch
    ]
    repeated = [
        d for d in operation.variable_definitions or () if d.variable.name.value in per_batch
    ]
    fields: list[FieldNode] = []
    for index in range(count):
        suffix = f"_{index}"
        definitions.extend(_renamed(definition, suffix) for definition in repeated)
        field = visit(entities, _Suffix(per_batch, suffix))
        fields.append(
            FieldNode(
                alias=NameNode(value=suffix),
                name=field.name,
                arguments=field.arguments,
                directives=field.directives,
                selection_set=field.selection_set,
            )
        )
    document = DocumentNode(
        definitions=(
            OperationDefinitionNode(
                operation=operation.operation,
                name=operation.name,
                variable_definitions=tuple(definitions),
                directives=operation.directives,
                selection_set=SelectionSetNode(selections=tuple(fields)),
            ),
        )
    )
    return print_ast(document), document


def batch_errors(errors: Any, count: int) -> list[list[Any]]:
    """A batched answer's errors per batch, their ``_<i>`` path head back to ``_entities``
    (errors without such a path go with the first batch, so each is reported once)."""
    result: list[list[Any]] = [[] for _ in range(count)]
    for error in errors if isinstance(errors, list) else ():
        path = error.get("path") if isinstance(error, Mapping) else None
        head = path[0] if isinstance(path, list) and path else None
        if isinstance(head, str) and head[:1] == "_" and head[1:].isdigit():
            index = int(head[1:])
            if index < count:
                result[index].append({**error, "path": ["_entities", *path[1:]]})  # type: ignore[index]
                continue
        result[0].append(error)
    return result


def _renamed(definition: VariableDefinitionNode, suffix: str) -> VariableDefinitionNode:
    name = definition.variable.name.value + suffix
    return VariableDefinitionNode(
        variable=VariableNode(name=NameNode(value=name)),
        type=definition.type,
        default_value=definition.default_value,
        directives=definition.directives,
    )


class _Suffix(Visitor):
    def __init__(self, names: set[str], suffix: str) -> None:
        super().__init__()
        self.names = names
        self.suffix = suffix

    def enter_variable(self, node: VariableNode, *_: object) -> VariableNode | None:
        name = node.name.value
        if name not in self.names:
            return None
        return VariableNode(name=NameNode(value=name + self.suffix))
