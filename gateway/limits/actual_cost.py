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

_Entry = tuple[str, SelectionSetNode | None, GraphQLNamedType, int, int]
"""A field as the walk needs it: response key, its selections, type, own weight, arguments'
cost."""


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
        total = self._walk.object(self._operation.selection_set, self._root, data or {})
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
        self._plans: dict[tuple[int, str], tuple[_Entry, ...]] = {}

    def object(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType,
               value: Mapping[str, Any]) -> int:
        total = 0
        for key, selections, named, own, arguments in self._plan(selection_set, parent):
            if key in value:
                total += self._value(selections, named, own, value[key]) + arguments
        return total

    def _value(self, selections: SelectionSetNode | None, named: GraphQLNamedType, own: int,
               value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, list):
            total = 0
            for item in value:
                total += self._value(selections, named, own, item)
            return total
        if isinstance(value, dict):
            return own + self.object(selections, named, value)
        return own

    def _plan(self, selection_set: SelectionSetNode | None,
              parent: GraphQLNamedType) -> tuple[_Entry, ...]:
        if selection_set is None:
            return ()
        cached = self._plans.get((id(selection_set), parent.name))
        if cached is not None:
            return cached
        entries: list[_Entry] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                entry = self._entry(selection, parent)
                if entry is not None and (entry[1] is not None or entry[3] or entry[4]):
                    entries.append(entry)  # (a free scalar costs nothing, however many)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.model.schema.get_type(condition.name.value) if condition else parent
                entries.extend(self._plan(selection.selection_set, named or parent))
            elif isinstance(selection, FragmentSpreadNode):
                definition = self.fragments[selection.name.value]
                named = self.model.schema.get_type(definition.type_condition.name.value)
                entries.extend(self._plan(definition.selection_set, named or parent))
        plan = self._plans[(id(selection_set), parent.name)] = tuple(entries)
        return plan

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
        return (node.alias.value if node.alias else name, node.selection_set, named, own,
                self.estimate._arguments_cost(coordinate, definition, arguments))
