"""The actual cost of an operation once it has run: the estimate's rules over the real data.

Shopify's ``actualQueryCost``: the same weights as :mod:`gateway.limits.cost`, but each list
counts the items it really returned instead of its size argument, and a field the response
lacks (skipped, pruned by field authorization) or that came back null counts nothing below
it. Arguments and the mutation surcharge cost what they did in the estimate. The walk is one
pass over the response, like serializing it.

Without ``__typename`` a response object does not say which fragment of an abstract type
applied, so every fragment's fields that the object has are counted (two fragments selecting
the same response key with different fields count both, as the estimate does).
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from gateway.limits.cost import MUTATION_FIELD_COST, CostModel, _Estimate

_Entry = tuple[str, "_Node | None", int, int]
"""A field as the walk needs it: response key, the flattened selections below it (None for a
leaf), own weight, arguments' cost."""


class _Node:
    """One selection set read as one type, flattened on first use (fragments expanded,
    weights and arguments worked out, free scalars left out)."""

    __slots__ = ("entries", "parent", "selection_set")

    def __init__(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> None:
        self.selection_set = selection_set
        self.parent = parent
        self.entries: tuple[_Entry, ...] | None = None


def actual_cost(model: CostModel, operation: OperationDefinitionNode,
                fragments: Mapping[str, FragmentDefinitionNode], variables: VariableValues,
                data: Mapping[str, Any] | None) -> int:
    """The cost of ``operation`` as it returned ``data`` (None: nothing was returned)."""
    return ActualCost(model, operation, fragments, variables).of(data)


class ActualCost:
    """The actual cost of one operation with one set of variables, for any number of runs:
    the flattened selections are worked out on the first run and reused (the gateway keeps
    one per operation without variables, so a repeated query pays only the walk)."""

    def __init__(self, model: CostModel, operation: OperationDefinitionNode,
                 fragments: Mapping[str, FragmentDefinitionNode],
                 variables: VariableValues) -> None:
        self._operation = operation
        self._root = model.schema.get_root_type(operation.operation)
        self._walk = _Actual(model, fragments, variables)
        self._surcharge: int | None = None

    def of(self, data: Mapping[str, Any] | None) -> int:
        """The cost as the operation returned ``data`` (None: nothing was returned)."""
        if self._root is None:
            return 0
        total = self._walk.object(self._operation.selection_set, self._root,
                                  data if isinstance(data, dict) else {})
        if self._operation.operation is OperationType.MUTATION:
            if self._surcharge is None:
                self._surcharge = MUTATION_FIELD_COST * self._walk.estimate.field_count(
                    self._operation.selection_set)
            total += self._surcharge
        return total


class _Actual:
    """One walk. Each selection set is flattened once per type it is read as (fragments
    expanded, weights and arguments worked out, free scalars left out), so an item of a long
    list costs a dictionary lookup per field that can cost something."""

    def __init__(self, model: CostModel, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: VariableValues) -> None:
        self.model = model
        self.fragments = fragments
        self.variables = variables
        self.estimate = _Estimate(model, fragments, variables)
        self._nodes: dict[tuple[int, str], _Node] = {}

    def object(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType,
               value: dict[str, Any]) -> int:
        if selection_set is None:
            return 0
        return self._object(self._node(selection_set, parent), value)

    def _object(self, node: _Node, value: dict[str, Any]) -> int:
        entries = node.entries
        if entries is None:
            entries = node.entries = self._flatten(node.selection_set, node.parent)
        total = 0
        for key, child, own, arguments in entries:
            if key not in value:
                continue
            found = value[key]
            total += arguments
            if found is None:
                continue
            if isinstance(found, dict):
                total += own + (self._object(child, found) if child is not None else 0)
            elif isinstance(found, list):
                total += self._list(child, own, found)
            else:
                total += own
        return total

    def _list(self, child: _Node | None, own: int, items: list[Any]) -> int:
        total = 0
        for item in items:
            if item is None:
                continue
            if isinstance(item, dict):
                total += own + (self._object(child, item) if child is not None else 0)
            elif isinstance(item, list):
                total += self._list(child, own, item)
            else:
                total += own
        return total

    def _node(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> _Node:
        key = (id(selection_set), parent.name)
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = _Node(selection_set, parent)
        return node

    def _flatten(self, selection_set: SelectionSetNode,
                 parent: GraphQLNamedType) -> tuple[_Entry, ...]:
        entries: list[_Entry] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                entry = self._entry(selection, parent)
                if entry is not None and (entry[1] is not None or entry[2] or entry[3]):
                    entries.append(entry)  # (a free scalar costs nothing, however many)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.model.schema.get_type(condition.name.value) if condition else parent
                entries.extend(self._flatten(selection.selection_set, named or parent))
            elif isinstance(selection, FragmentSpreadNode):
                definition = self.fragments[selection.name.value]
                named = self.model.schema.get_type(definition.type_condition.name.value)
                entries.extend(self._flatten(definition.selection_set, named or parent))
        return tuple(entries)

    def _entry(self, node: FieldNode, parent: GraphQLNamedType) -> _Entry | None:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType
                                                   | GraphQLInterfaceType):
            return None
        definition = parent.fields.get(name)
        if definition is None:
            return None
        coordinate = (parent.name, name)
        named = get_named_type(definition.type)
        own = self.model.directives.field_weights.get(coordinate,
                                                      self.estimate._type_weight(named))
        arguments = get_argument_values(definition, node, self.variables)
        child = (self._node(node.selection_set, named) if node.selection_set is not None
                 else None)
        return (node.alias.value if node.alias else name, child, own,
                self.estimate._arguments_cost(coordinate, definition, arguments))
