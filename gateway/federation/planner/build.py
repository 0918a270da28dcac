"""From fetch groups to plan nodes: subgraph operations printed and parsed once, ordered.

Fetches run level by level: a fetch's level is one past its parent's and dependencies';
fetches of a level run in parallel. Mutation root fields keep their order: each root fetch
and the fetches hanging from it form one step of a sequence.
"""

import re
from collections.abc import Mapping

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    parse_type,
    print_ast,
    visit,
)

from ..plan import (
    ContextRewrite,
    EntityInputSpec,
    Fetch,
    Flatten,
    InputField,
    Parallel,
    PlanNode,
    Sequence,
)
from ..supergraph import Supergraph
from .condition import fetch_condition
from .conflicts import resolve_conflicts
from .groups import ContextInput, FetchGroup
from .passes import optimise
from .schedule import schedule
from .tree import SelectionTree

_REPRESENTATIONS = VariableDefinitionNode(
    variable=VariableNode(name=NameNode(value="representations")),
    type=NonNullTypeNode(
        type=ListTypeNode(type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="_Any"))))
    ),
    directives=(),
)


def build_node(
    supergraph: Supergraph,
    groups: list[FetchGroup],
    operation_kind: str,
    operation_name: str | None,
    variables: Mapping[str, VariableDefinitionNode],
) -> PlanNode | None:
    groups = optimise(groups)
    nodes = {
        group.id: _wrap(_fetch(supergraph, group, operation_kind, operation_name, variables), group)
        for group in groups
    }
    sequence: list[PlanNode] = []
    for step in sorted({group.root_index for group in groups}):
        members = [group for group in groups if group.root_index == step]
        roots = [group for group in members if group.parent is None]
        sequence.extend(schedule(roots, members, nodes))
    return _collapse(Sequence, sequence)


def _collapse(kind: type[Sequence] | type[Parallel], items: list[PlanNode]) -> PlanNode:
    return items[0] if len(items) == 1 else kind(tuple(items))


def _wrap(fetch: Fetch, group: FetchGroup) -> PlanNode:
    return Flatten(group.path, fetch) if group.is_entity else fetch


def _fetch(
    supergraph: Supergraph,
    group: FetchGroup,
    operation_kind: str,
    operation_name: str | None,
    variables: Mapping[str, VariableDefinitionNode],
) -> Fetch:
    renames = resolve_conflicts(group.tree, group.subgraph, supergraph)
    condition = fetch_condition(group.tree)
    selection = group.tree.to_ast()
    used = _variables_used(selection)
    definitions = [variables[name] for name in used if name in variables]
    if group.is_entity:
        definitions.insert(0, _REPRESENTATIONS)
        definitions.extend(_context_definition(context) for context in group.contexts)
        selection = SelectionSetNode(selections=(_entities_field(selection),))
    name = None
    if operation_name:
        name = f"{operation_name}__{re.sub(r'[^_0-9A-Za-z]', '_', group.subgraph)}__{group.id}"
    kind = (
        OperationType(operation_kind)
        if operation_kind in ("mutation", "subscription") and not group.is_entity
        else OperationType.QUERY
    )
    operation = OperationDefinitionNode(
        operation=kind,
        name=NameNode(value=name) if name else None,
        variable_definitions=tuple(definitions),
        directives=(),
        selection_set=selection,
    )
    text = print_ast(DocumentNode(definitions=(operation,)))
    return Fetch(
        id=group.id,
        subgraph=group.subgraph,
        operation=text,
        document=parse(text),
        operation_name=name,
        variable_names=tuple(n for n in used if n in variables),
        inputs={
            typename: EntityInputSpec(
                spec.typename, _input_fields(spec.fields), tuple(sorted(spec.key_names))
            )
            for typename, spec in group.inputs.items()
        }
        if group.is_entity
        else None,
        renames=renames,
        condition=condition,
        contexts=tuple(
            ContextRewrite(context.variable, context.levels, _input_fields(context.fields))
            for context in group.contexts
        ),
    )


def _context_definition(context: ContextInput) -> VariableDefinitionNode:
    return VariableDefinitionNode(
        variable=VariableNode(name=NameNode(value=context.variable)),
        type=parse_type(context.type),
        directives=(),
    )


def _entities_field(selection: SelectionSetNode) -> FieldNode:
    return FieldNode(
        name=NameNode(value="_entities"),
        arguments=(
            ArgumentNode(
                name=NameNode(value="representations"),
                value=VariableNode(name=NameNode(value="representations")),
            ),
        ),
        directives=(),
        selection_set=selection,
    )


def _input_fields(tree: SelectionTree) -> tuple[InputField, ...]:
    fields: dict[str, InputField] = {}
    for (key, _), entry in tree.fields.items():
        children = _input_fields(entry.sub) if entry.sub is not None else None
        fields[key] = InputField(entry.name, key, children)
    for _, sub in tree.fragments.values():
        for item in _input_fields(sub):
            fields.setdefault(item.key, item)
    return tuple(fields.values())


class _VariableCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, None] = {}

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.names[node.name.value] = None


def _variables_used(selection: SelectionSetNode) -> list[str]:
    collector = _VariableCollector()
    visit(selection, collector)
    return list(collector.names)
