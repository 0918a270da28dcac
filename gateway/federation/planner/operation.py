"""Operation normalisation: the client operation as a tree the walk can consume.

Named fragments are inlined as type-conditioned fragments, literal ``@skip``/``@include``
are decided now, variable ones stay as directives (forwarded to subgraphs).
"""

from dataclasses import dataclass

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    print_ast,
)

from ..errors import PlanningError


@dataclass(frozen=True, slots=True)
class NField:
    """A field selection; ``key`` is the response key (alias or name)."""

    key: str
    name: str
    alias: str | None
    arguments: tuple[ArgumentNode, ...]
    directives: tuple[DirectiveNode, ...]
    selections: tuple["NSelection", ...]
    directives_key: str = ""


@dataclass(frozen=True, slots=True)
class NFragment:
    """An inline fragment (named fragments are inlined into these)."""

    type_condition: str | None
    directives: tuple[DirectiveNode, ...]
    selections: tuple["NSelection", ...]
    directives_key: str = ""


NSelection = NField | NFragment


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode:
    """The operation to run, by name or the only one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        for operation in operations:
            if operation.name and operation.name.value == operation_name:
                return operation
        raise PlanningError(f"unknown operation named {operation_name!r}")
    if len(operations) != 1:
        raise PlanningError("an operation name is required when the document has several")
    return operations[0]


def normalize(document: DocumentNode, operation: OperationDefinitionNode) -> tuple[NSelection, ...]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _selections(operation.selection_set, fragments, ())


def _selections(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    visiting: tuple[str, ...],
) -> tuple[NSelection, ...]:
    if selection_set is None:
        return ()
    result: list[NSelection] = []
    for node in selection_set.selections:
        directives = _conditions(node.directives or ())
        if directives is None:
            continue
        key = "".join(print_ast(d) for d in directives)
        if isinstance(node, FieldNode):
            result.append(
                NField(
                    key=(node.alias or node.name).value,
                    name=node.name.value,
                    alias=node.alias.value if node.alias else None,
                    arguments=tuple(node.arguments or ()),
                    directives=directives,
                    selections=_selections(node.selection_set, fragments, visiting),
                    directives_key=key,
                )
            )
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            inner = _selections(node.selection_set, fragments, visiting)
            result.append(NFragment(condition, directives, inner, key))
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in visiting or name not in fragments:
                raise PlanningError(f"unknown or cyclic fragment {name!r}")
            definition = fragments[name]
            inner = _selections(definition.selection_set, fragments, (*visiting, name))
            result.append(NFragment(definition.type_condition.name.value, directives, inner, key))
    return tuple(result)


def _conditions(
    directives: tuple[DirectiveNode, ...] | list[DirectiveNode],
) -> tuple[DirectiveNode, ...] | None:
    """Keep variable ``@skip``/``@include``; ``None`` when a literal one excludes the node."""
    kept: list[DirectiveNode] = []
    for directive in directives:
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        value = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
        if isinstance(value, BooleanValueNode):
            if value.value == (name == "skip"):
                return None
            continue
        kept.append(directive)
    return tuple(kept)
