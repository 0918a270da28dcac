"""The estimated cost of an operation, after IBM's cost spec as Apollo Router applies it.

Before anything runs, with the request's variables (``first: $n`` counts as ``$n``):

* an object, interface or union costs 1, a scalar or enum 0, unless ``@cost(weight:)`` on the
  type or the field says otherwise; each root field of a mutation adds 10;
* a list field costs its length times (its own cost + its selection's cost). The length is
  the largest slicing argument given (``@listSize(slicingArguments:)``, argument defaults
  included), else ``assumedSize``, else the configured default list size. With
  ``sizedFields`` the length applies to those child lists instead (Relay connections:
  ``sizedFields: ["edges"]``). A field without ``@listSize`` that takes ``first`` or ``last``
  is sized by it, and so are the ``edges``/``nodes`` of the connection it returns;
* ``@listSize(requireOneSlicingArgument: true)`` (the default) refuses a field given none or
  several of its slicing arguments;
* ``@cost`` on an argument or input field adds its weight when a value is given, once per
  element of a list value (a bulk input can say what each item costs).

Fragments on abstract types are all counted, as if every branch applied (an upper bound).
Fragments are costed once per spread context and reused, so fragment bombs stay linear.
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
)
from graphql.execution.values import VariableValues, get_argument_values

from gateway.limits.directives import DemandDirectives, ListSize
from gateway.limits.errors import LimitExceeded

MUTATION_FIELD_COST = 10
_IMPLICIT_SLICING = ("first", "last")
_IMPLICIT_SIZED = ("edges", "nodes")


class CostModel:
    """Costs operations against one supergraph; built once per supergraph."""

    def __init__(self, api_schema: GraphQLSchema, directives: DemandDirectives,
                 list_size: int) -> None:
        self.schema = api_schema
        self.directives = directives
        self.list_size = list_size

    def estimate(self, operation: OperationDefinitionNode,
                 fragments: Mapping[str, FragmentDefinitionNode],
                 variables: VariableValues) -> int:
        """The cost with the request's variables, as ``get_variable_values`` coerced them."""
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        run = _Estimate(self, fragments, variables)
        total = run.selections(operation.selection_set, root, {})
        if operation.operation is OperationType.MUTATION:
            total += MUTATION_FIELD_COST * run.field_count(operation.selection_set)
        return total


class _Estimate:
    def __init__(self, model: CostModel, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: VariableValues) -> None:
        self.model = model
        self.directives = model.directives
        self.fragments = fragments
        self.variables = variables
        self.costed: dict[tuple[str, tuple[tuple[str, int], ...]], int] = {}

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType,
                   sized: Mapping[str, int]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, sized.get(selection.name.value))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self.model.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, named or parent, sized)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, sized)
        return total

    def fragment(self, name: str, sized: Mapping[str, int]) -> int:
        key = (name, tuple(sorted(sized.items())))
        cost = self.costed.get(key)
        if cost is None:
            definition = self.fragments[name]
            named = self.model.schema.get_type(definition.type_condition.name.value)
            cost = self.selections(definition.selection_set, named, sized) if named else 0
            self.costed[key] = cost
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType, size: int | None) -> int:
        if node.name.value.startswith("__") or isinstance(parent, GraphQLUnionType):
            return 0  # __typename and introspection (governed by the introspection setting)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType)
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0
        key = (parent.name, node.name.value)
        arguments = get_argument_values(definition, node, self.variables)
        named = get_named_type(definition.type)
        own = self.directives.field_weights.get(key, self._type_weight(named))
        is_list = isinstance(get_nullable_type(definition.type), GraphQLList)
        spec = self.directives.list_sizes.get(key) or _implicit(definition, is_list)
        children: dict[str, int] = {}
        length = self._length(key, spec, arguments) if spec else None
        if spec and spec.sized_fields:
            children = dict.fromkeys(spec.sized_fields, _or(length, self.model.list_size))
        elif is_list and size is None:
            size = _or(length, self.model.list_size)
        inner = self.selections(node.selection_set, named, children) if node.selection_set else 0
        times = size if is_list and size is not None else 1
        return times * (own + inner) + self._arguments_cost(key, definition, arguments)

    def _type_weight(self, named: GraphQLNamedType) -> int:
        weight = self.directives.type_weights.get(named.name)
        if weight is not None:
            return weight
        return 1 if isinstance(named, GraphQLObjectType | GraphQLInterfaceType
                               | GraphQLUnionType) else 0

    def _length(self, key: tuple[str, str], spec: ListSize,
                arguments: Mapping[str, Any]) -> int | None:
        given = [value for name in spec.slicing_arguments
                 if isinstance(value := arguments.get(name), int)]
        if spec.slicing_arguments and spec.require_one_slicing_argument and len(given) != 1:
            names = ", ".join(spec.slicing_arguments)
            raise LimitExceeded("slicingArguments", len(given), 1,
                                f"{key[0]}.{key[1]} needs exactly one of its slicing arguments "
                                f"({names}) to size its list; {len(given)} given")
        if given:
            return max(0, *given)
        return spec.assumed_size

    def _arguments_cost(self, key: tuple[str, str], definition: GraphQLField,
                        arguments: Mapping[str, Any]) -> int:
        total = 0
        for name, value in arguments.items():
            weight = self.directives.argument_weights.get((*key, name))
            if weight is not None and value is not None:
                total += weight * (len(value) if isinstance(value, list) else 1)
            total += self._input_cost(definition.args[name].type, value)
        return total

    def _input_cost(self, type_: GraphQLInputType, value: Any) -> int:
        named = get_named_type(type_)
        if not isinstance(named, GraphQLInputObjectType) or value is None:
            return 0
        values = value if isinstance(value, list) else [value]
        total = 0
        for item in values:
            if not isinstance(item, Mapping):
                continue
            for name, inner in item.items():
                weight = self.directives.input_field_weights.get((named.name, name))
                if weight is not None and inner is not None:
                    total += weight * (len(inner) if isinstance(inner, list) else 1)
                if name in named.fields:
                    total += self._input_cost(named.fields[name].type, inner)
        return total

    def field_count(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += not selection.name.value.startswith("__")
            elif isinstance(selection, InlineFragmentNode):
                count += self.field_count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self.field_count(self.fragments[selection.name.value].selection_set)
        return count


def _implicit(definition: GraphQLField, is_list: bool) -> ListSize | None:
    """Without ``@listSize``: sized by ``first``/``last``, Relay connections included."""
    slicing = tuple(name for name in _IMPLICIT_SLICING if name in definition.args)
    if not slicing:
        return None
    named = get_named_type(definition.type)
    sized: tuple[str, ...] = ()
    if not is_list and isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        sized = tuple(name for name in _IMPLICIT_SIZED if name in named.fields
                      and isinstance(get_nullable_type(named.fields[name].type), GraphQLList))
        if not sized:
            return None
    return ListSize(slicing_arguments=slicing, sized_fields=sized,
                    require_one_slicing_argument=False)


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
