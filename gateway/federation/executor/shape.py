"""The response shape of an operation, compiled from the client's document at plan time.

The executor merges subgraph answers into one raw tree (with planner-added keys and
``__typename``s); the shape then rebuilds the client response from it: the selected fields in
order, ``__typename`` answered, ``@skip``/``@include`` evaluated, fragments applied by runtime
type, and nulls in non-null positions bubbled to the nearest nullable parent.
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)

Condition = tuple[str, bool]
LEAF, OBJECT, LIST, NON_NULL, PASSTHROUGH, ENUM = range(6)
COPY, REQUIRED, TYPENAME, CONDITIONAL, NESTED, OBJECTS, NULLABLE_OBJECT = range(7)
"""What completing a field takes (:meth:`ObjectShape.steps_for`): copy the value as it is,
copy it unless null (a non-null leaf), answer ``__typename``, evaluate ``@skip``/``@include``
first, complete a nested value by its descriptor, or complete a nullable list of nullable
objects or a nullable object (the usual cases: their payload is the objects'
``(shape, type name)``)."""
Step = tuple[str, int, Any]
INTROSPECTION_FIELDS = frozenset(("__schema", "__type"))


class FieldShape:
    """One response key of an object; ``occurrences`` is set when it depends on variables."""

    __slots__ = ("descriptor", "key", "name", "occurrences")

    def __init__(
        self,
        key: str,
        name: str,
        descriptor: tuple[Any, ...],
        occurrences: tuple[tuple[tuple[Condition, ...], SelectionSetNode | None], ...] | None,
    ) -> None:
        self.key = key
        self.name = name
        self.descriptor = descriptor
        self.occurrences = occurrences


class ObjectShape:
    """The selection on one object position; fields per runtime type are compiled on demand."""

    __slots__ = ("_by_type", "_steps", "abstract", "compiler", "runtime_types", "selection_sets",
                 "type_name")

    def __init__(
        self,
        compiler: "ShapeCompiler",
        type_name: str,
        selection_sets: tuple[SelectionSetNode, ...],
    ) -> None:
        self.compiler = compiler
        self.type_name = type_name
        named = compiler.schema.type_map[type_name]
        self.abstract = not isinstance(named, GraphQLObjectType)
        self.runtime_types = (
            frozenset(t.name for t in compiler.schema.get_possible_types(named))  # type: ignore[arg-type]
            if self.abstract
            else frozenset((type_name,))
        )
        self.selection_sets = selection_sets
        self._by_type: dict[str, tuple[FieldShape, ...]] = {}
        self._steps: dict[str, tuple[Step, ...]] = {}

    def fields_for(self, type_name: str) -> tuple[FieldShape, ...]:
        found = self._by_type.get(type_name)
        if found is None:
            found = self.compiler.fields(self, type_name)
            self._by_type[type_name] = found
        return found

    def steps_for(self, type_name: str) -> tuple[Step, ...]:
        """``(response key, step kind, payload)`` per field: the completion loop's own form
        of :meth:`fields_for`, so most fields (leaves) cost it one dict lookup and no call."""
        found = self._steps.get(type_name)
        if found is None:
            found = tuple(_step(field) for field in self.fields_for(type_name))
            self._steps[type_name] = found
        return found

    def precompile(self) -> None:
        """Compile every runtime type now, so executing a cached plan does no schema work."""
        named = self.compiler.schema.type_map[self.type_name]
        runtime = self.compiler.schema.get_possible_types(named) if self.abstract else [named]  # type: ignore[arg-type]
        for object_type in runtime:
            self.steps_for(object_type.name)
            for field in self.fields_for(object_type.name):
                _precompile(field.descriptor)


def _step(field: FieldShape) -> Step:
    descriptor = field.descriptor
    if field.occurrences is not None:
        return (field.key, CONDITIONAL, field)
    if field.name == "__typename":
        return (field.key, TYPENAME, None)
    if descriptor[0] in (LEAF, PASSTHROUGH):
        return (field.key, COPY, None)
    if descriptor[0] == NON_NULL and descriptor[1][0] in (LEAF, PASSTHROUGH):
        return (field.key, REQUIRED, None)
    if descriptor[0] == LIST and descriptor[1][0] == OBJECT:
        return (field.key, OBJECTS, (descriptor[1][1], descriptor[1][2]))
    if descriptor[0] == OBJECT:
        return (field.key, NULLABLE_OBJECT, (descriptor[1], descriptor[2]))
    return (field.key, NESTED, descriptor)


def _precompile(descriptor: tuple[Any, ...]) -> None:
    while descriptor[0] in (LIST, NON_NULL):
        descriptor = descriptor[1]
    if descriptor[0] == OBJECT and descriptor[1] is not None:
        descriptor[1].precompile()


class ShapeCompiler:
    """Builds shapes against the API schema with the operation's fragments."""

    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self._conditional: dict[tuple[str, tuple[int, ...]], ObjectShape] = {}

    def root(self, type_name: str, selection_set: SelectionSetNode) -> ObjectShape:
        shape = ObjectShape(self, type_name, (selection_set,))
        shape.precompile()
        return shape

    def shape_for(
        self, type_name: str, selection_sets: tuple[SelectionSetNode, ...]
    ) -> ObjectShape:
        """A shape for a variable-dependent merge of selection sets (memoised)."""
        key = (type_name, tuple(id(s) for s in selection_sets))
        found = self._conditional.get(key)
        if found is None:
            found = ObjectShape(self, type_name, selection_sets)
            self._conditional[key] = found
        return found

    def fields(self, shape: ObjectShape, type_name: str) -> tuple[FieldShape, ...]:
        grouped: dict[str, list[tuple[tuple[Condition, ...], FieldNode]]] = {}
        for selection_set in shape.selection_sets:
            self._collect(selection_set, type_name, (), grouped)
        object_type = self.schema.type_map.get(type_name)
        result = []
        for key, occurrences in grouped.items():
            name = occurrences[0][1].name.value
            conditional = any(conditions for conditions, _ in occurrences)
            if name == "__typename":
                descriptor: tuple[Any, ...] = (LEAF,)
            elif name in INTROSPECTION_FIELDS:
                descriptor = (PASSTHROUGH,)
            else:
                field = object_type.fields[name]  # type: ignore[union-attr]
                sets = tuple(node.selection_set for _, node in occurrences if node.selection_set)
                descriptor = self._descriptor(field.type, None if conditional else sets)
            pieces = tuple((conditions, node.selection_set) for conditions, node in occurrences)
            result.append(FieldShape(key, name, descriptor, pieces if conditional else None))
        return tuple(result)

    def _descriptor(
        self, type_: Any, selection_sets: tuple[SelectionSetNode, ...] | None
    ) -> tuple[Any, ...]:
        if isinstance(type_, GraphQLNonNull):
            return (NON_NULL, self._descriptor(type_.of_type, selection_sets))
        if isinstance(type_, GraphQLList):
            return (LIST, self._descriptor(type_.of_type, selection_sets))
        if isinstance(type_, GraphQLObjectType | GraphQLAbstractType):
            shape = (
                ObjectShape(self, type_.name, selection_sets)
                if selection_sets is not None
                else None
            )
            return (OBJECT, shape, type_.name, self)
        if isinstance(type_, GraphQLEnumType):
            return (ENUM, frozenset(type_.values))
        return (LEAF,)

    def _collect(
        self,
        selection_set: SelectionSetNode,
        type_name: str,
        conditions: tuple[Condition, ...],
        grouped: dict[str, list[tuple[tuple[Condition, ...], FieldNode]]],
    ) -> None:
        for node in selection_set.selections:
            own = _conditions(node.directives or ())
            if own is None:
                continue
            merged = conditions + own
            if isinstance(node, FieldNode):
                key = (node.alias or node.name).value
                grouped.setdefault(key, []).append((merged, node))
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else None
                if self._applies(condition, type_name):
                    self._collect(node.selection_set, type_name, merged, grouped)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                if self._applies(fragment.type_condition.name.value, type_name):
                    self._collect(fragment.selection_set, type_name, merged, grouped)

    def _applies(self, condition: str | None, type_name: str) -> bool:
        if condition is None or condition == type_name:
            return True
        abstract = self.schema.type_map.get(condition)
        runtime = self.schema.type_map.get(type_name)
        if isinstance(abstract, GraphQLAbstractType) and isinstance(runtime, GraphQLObjectType):
            return self.schema.is_sub_type(abstract, runtime)
        return False


def _conditions(directives: Any) -> tuple[Condition, ...] | None:
    """Variable ``@skip``/``@include`` as ``(variable, include_when)``; ``None`` if excluded."""
    found: list[Condition] = []
    for directive in directives:
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        value = _if_argument(directive)
        if isinstance(value, BooleanValueNode):
            if value.value == (name == "skip"):
                return None
        elif isinstance(value, VariableNode):
            found.append((value.name.value, name == "include"))
    return tuple(found)


def _if_argument(directive: DirectiveNode) -> Any:
    return next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
