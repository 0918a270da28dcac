"""Removing the fields a caller may not see from an operation, before it is planned.

The result is a valid operation for the same API schema: unauthorized fields are dropped,
a nullable field whose whole selection became unauthorized is dropped too (it will be null;
a non-null one keeps an added ``__typename``, so the response stays valid), named
fragments are inlined (the same fragment may be pruned differently at different places),
variables that are no longer used lose their definitions, and ``__typename`` is added (under
:data:`TYPENAME_ALIAS`) where the response writer needs it (an empty root selection;
removals under a type condition) and stripped again by
:func:`gateway.authorization.response.apply_unauthorized`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLCompositeType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_non_null_type,
    visit,
)
from graphql.language import Visitor

from gateway.authorization.conditions import Condition, conditions_of
from gateway.authorization.policy import AuthorizationPolicy
from gateway.authorization.requirements import AuthShape, Requirement

Path = tuple[str, ...]
TYPENAME_ALIAS = "_loopgateAuthTypename"
"""Response key of the ``__typename`` the transform adds; the response writer removes it."""


class OperationNotFound(ValueError):
    """The document has no operation of that name (or several and none was named)."""


@dataclass(frozen=True, slots=True)
class RemovedField:
    """A response location that gets null and an ``UNAUTHORIZED_FIELD_OR_TYPE`` error.

    ``path`` holds response keys from the root (list positions expand when written);
    ``runtime_types`` limits the removal to objects of those ``__typename`` values (a field
    removed inside a type condition), None meaning every object at that place;
    ``conditions`` are the ``@skip``/``@include`` that applied to it.
    """

    path: Path
    coordinate: str
    requirement: str
    runtime_types: frozenset[str] | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthorizationResult:
    """The operation to plan and what to write back into the response afterwards."""

    document: DocumentNode
    shape: AuthShape
    removed: tuple[RemovedField, ...] = ()
    typename_added: tuple[Path, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.removed)


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a selection sits within its field: runtime types and ``@skip``/``@include``."""

    runtime: frozenset[str] | None = None
    conditions: tuple[Condition, ...] = ()

    def removed(self, path: Path, coordinate: str, requirement: str) -> RemovedField:
        return RemovedField(path, coordinate, requirement, self.runtime, self.conditions)


@dataclass
class _Walk:
    policy: AuthorizationPolicy
    shape: AuthShape
    fragments: dict[str, FragmentDefinitionNode]
    removed: list[RemovedField] = field(default_factory=list)
    typename_added: list[Path] = field(default_factory=list)

    def missing(self, requirements: tuple[Requirement, ...]) -> str | None:
        unmet = [r.describe() for r in requirements if r not in self.shape]
        return ", ".join(unmet) if unmet else None

    def field_selections(self, parent: GraphQLCompositeType, node: SelectionSetNode,
                         path: Path) -> list[SelectionNode]:
        """The pruned selections of one field (or the root); adds ``__typename`` if needed."""
        start = len(self.removed)
        selections = self.selections(parent, node, path, _Where())
        conditional = any(r.runtime_types is not None and r.path[:-1] == path
                          for r in self.removed[start:])
        if selections and conditional:
            selections.append(_typename())
            self.typename_added.append(path)
        return selections

    def selections(self, parent: GraphQLCompositeType, node: SelectionSetNode, path: Path,
                   where: _Where) -> list[SelectionNode]:
        kept: list[SelectionNode] = []
        for selection in node.selections:
            inner = _Where(where.runtime,
                           where.conditions + conditions_of(selection.directives))
            if isinstance(selection, FieldNode):
                result = self.field(parent, selection, path, inner)
            elif isinstance(selection, InlineFragmentNode):
                result = self.fragment(parent, selection, selection, path, inner)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                definition = self.fragments[selection.name.value]
                result = self.fragment(parent, definition, selection, path, inner)
            if result is not None:
                kept.append(result)
        return kept

    def field(self, parent: GraphQLCompositeType, node: FieldNode, path: Path,
              where: _Where) -> FieldNode | None:
        name = node.name.value
        if name.startswith("__"):
            return node
        key = node.alias.value if node.alias else name
        coordinate = f"{parent.name}.{name}"
        unmet = self.missing(self.policy.field_requirements(parent, name))
        if unmet is not None:
            self.removed.append(where.removed((*path, key), coordinate, unmet))
            return None
        if node.selection_set is None:
            return node
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        field_type = parent.fields[name].type
        start = len(self.removed)
        children = self.field_selections(get_named_type(field_type), node.selection_set,
                                         (*path, key))
        if children:
            return _with_selections(node, children)
        if is_non_null_type(field_type):
            # a non-null field cannot become null: keep it, selecting only __typename
            self.typename_added.append((*path, key))
            return _with_selections(node, [_typename()])
        reasons = sorted({r.requirement for r in self.removed[start:]})
        del self.removed[start:]
        self.removed.append(where.removed((*path, key), coordinate,
                                          "; ".join(reasons) or "authorization"))
        return None

    def fragment(self, parent: GraphQLCompositeType,
                 definition: InlineFragmentNode | FragmentDefinitionNode,
                 usage: InlineFragmentNode | FragmentSpreadNode, path: Path,
                 where: _Where) -> InlineFragmentNode | None:
        condition = definition.type_condition
        target = self.policy.schema.get_type(condition.name.value) if condition else parent
        assert isinstance(target, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        narrowed = _Where(_narrow(self.policy, parent, target, where.runtime), where.conditions)
        unmet = self.missing(self.policy.type_requirements(target.name))
        if unmet is not None:
            for key in _response_keys(definition.selection_set, self.fragments):
                self.removed.append(narrowed.removed((*path, key), target.name, unmet))
            return None
        children = self.selections(target, definition.selection_set, path, narrowed)
        if not children:
            return None
        return InlineFragmentNode(type_condition=condition, directives=usage.directives,
                                  selection_set=SelectionSetNode(selections=tuple(children)))


def _narrow(policy: AuthorizationPolicy, parent: GraphQLCompositeType,
            target: GraphQLCompositeType, runtime: frozenset[str] | None) -> frozenset[str] | None:
    """The runtime types a fragment applies to, when narrower than its parent's."""
    if target.name == parent.name:
        return runtime
    if isinstance(target, GraphQLAbstractType):
        names = frozenset(t.name for t in policy.schema.get_possible_types(target))
    else:
        assert isinstance(target, GraphQLObjectType)
        names = frozenset({target.name})
    return names if runtime is None else names & runtime


def _response_keys(node: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]) \
        -> list[str]:
    keys: list[str] = []
    for selection in node.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value != "__typename":
                keys.append(selection.alias.value if selection.alias else selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            keys.extend(_response_keys(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode):
            keys.extend(_response_keys(fragments[selection.name.value].selection_set,
                                       fragments))
    return list(dict.fromkeys(keys))


def _typename() -> FieldNode:
    """``__typename`` under :data:`TYPENAME_ALIAS`, so it never collides with the client's."""
    return FieldNode(alias=NameNode(value=TYPENAME_ALIAS), name=NameNode(value="__typename"),
                     arguments=(), directives=())


def _with_selections(node: FieldNode, selections: list[SelectionNode]) -> FieldNode:
    return FieldNode(alias=node.alias, name=node.name, arguments=node.arguments,
                     directives=node.directives,
                     selection_set=SelectionSetNode(selections=tuple(selections)))


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [op for op in operations if op.name and op.name.value == name]
    if len(operations) != 1:
        raise OperationNotFound(f"no single operation named {name!r} in the document"
                                if name else "the document has several operations; name one")
    return operations[0]


class _VariableUse(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_args: object) -> None:
        self.names.add(node.name.value)


def _drop_unused_variables(operation: OperationDefinitionNode) -> OperationDefinitionNode:
    used = _VariableUse()
    visit(_with_variables(operation, ()), used)
    kept = tuple(d for d in operation.variable_definitions or ()
                 if d.variable.name.value in used.names)
    return _with_variables(operation, kept)


def _with_variables(operation: OperationDefinitionNode,
                    variables: tuple[VariableDefinitionNode, ...]) -> OperationDefinitionNode:
    return OperationDefinitionNode(operation=operation.operation, name=operation.name,
                                   variable_definitions=variables,
                                   directives=operation.directives,
                                   selection_set=operation.selection_set)


def authorize_operation(policy: AuthorizationPolicy, document: DocumentNode,
                        shape: AuthShape, operation_name: str | None = None) \
        -> AuthorizationResult:
    """Prune ``document`` (validated against the API schema) for a caller of ``shape``."""
    if not policy.guarded:
        return AuthorizationResult(document, shape)
    operation = _operation(document, operation_name)
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(policy, shape, fragments)
    root = policy.schema.get_root_type(operation.operation)
    if root is None:
        raise OperationNotFound(f"the schema has no {operation.operation.value} type")
    selections = walk.field_selections(root, operation.selection_set, ())
    if not walk.removed:
        return AuthorizationResult(document, shape)
    if not selections:
        selections = [_typename()]
        walk.typename_added.append(())
    pruned = _drop_unused_variables(OperationDefinitionNode(
        operation=operation.operation, name=operation.name,
        variable_definitions=operation.variable_definitions, directives=operation.directives,
        selection_set=SelectionSetNode(selections=tuple(selections))))
    return AuthorizationResult(DocumentNode(definitions=(pruned,)),
                               shape, tuple(walk.removed), tuple(walk.typename_added))

