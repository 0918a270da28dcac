"""Stage 1b: a subgraph's ``@context``/``@fromContext`` checked on their own, as Apollo does.

A context name must be a plain identifier without ``_`` (the supergraph qualifies it as
``<subgraph>__<name>``). A ``@fromContext(field: "$name { selection }")`` argument sits on a
field of an object type that implements no interface field of that name, has no default,
names a context some type of the subgraph sets, and selects exactly one value whose type is
the argument's type from every type setting it (or, with inline fragments, from each runtime
type they name). Its type needs a resolvable key, since the router fetches the field through
``_entities`` once it knows the value. Messages and codes are Apollo's.
"""

import re
from collections.abc import Callable, Iterator

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    SelectionSetNode,
    TypeNode,
    parse,
    print_ast,
)
from graphql.language import OperationDefinitionNode

from gateway.compose import errors
from gateway.compose.model import Argument, Subgraph, TypeDef

_IGNORED = r"(?:[\n\r\t ,]|#[^\n\r]*)"
_CONTEXT_FIELD = re.compile(rf"^{_IGNORED}*\${_IGNORED}*([A-Za-z_]\w*)(.*)$", re.DOTALL | re.ASCII)
_NAME = re.compile(r"^[A-Za-z]\w*$", re.ASCII)
_TYPENAME = NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="String")))

Report = Callable[[str, str, TypeDef, str], None]


def parse_context(value: str) -> tuple[str | None, str | None]:
    """``"$ctx { id }"`` → ``("ctx", " { id }")``; ``(None, None)`` when no context is named."""
    match = _CONTEXT_FIELD.match(value)
    return (match.group(1), match.group(2)) if match else (None, None)


def check_contexts(subgraph: Subgraph, report: Report) -> None:
    setters: dict[str, list[TypeDef]] = {}
    for typedef in subgraph.types.values():
        for name in typedef.contexts:
            if "_" in name:
                report(errors.CONTEXT_NAME_INVALID,
                       f'Context name "{name}" may not contain an underscore.', typedef,
                       "name the context with letters and digits only, e.g. storeCtx")
            elif not _NAME.match(name):
                report(errors.CONTEXT_NAME_INVALID,
                       f'Context name "{name}" is invalid. It should have only alphanumeric '
                       "characters.", typedef, "name the context with letters and digits only")
            setters.setdefault(name, []).append(typedef)
    for typedef, field_name, argument in _contextual_arguments(subgraph):
        _check_argument(subgraph, setters, typedef, field_name, argument, report)


def _contextual_arguments(subgraph: Subgraph) -> Iterator[tuple[TypeDef, str, Argument]]:
    for typedef in subgraph.types.values():
        for field in typedef.fields.values():
            for argument in field.args.values():
                if argument.from_context is not None:
                    yield typedef, field.name, argument


def _check_argument(subgraph: Subgraph, setters: dict[str, list[TypeDef]], typedef: TypeDef,
                    field_name: str, argument: Argument, report: Report) -> None:
    coordinate = f"{typedef.name}.{field_name}({argument.name}:)"
    if typedef.kind != "object":
        report(errors.CONTEXT_NOT_SET, "@fromContext argument cannot be used on a field that "
               f'exists on an abstract type "{coordinate}".', typedef,
               "move the contextual argument to the implementing object types' fields")
        return
    for interface in typedef.interfaces:
        owner = subgraph.types.get(interface)
        if owner is not None and field_name in owner.fields:
            report(errors.CONTEXT_NOT_SET, "@fromContext argument cannot be used on a field "
                   f'implementing an interface field "{interface}.{field_name}".', typedef,
                   f'drop @fromContext, or stop declaring "{field_name}" on "{interface}"')
    if argument.default is not None:
        report(errors.CONTEXT_NOT_SET, "@fromContext arguments may not have a default value: "
               f'"{coordinate}".', typedef, "remove the default value")
    context, selection = parse_context(argument.from_context or "")
    if not context or not selection:
        report(errors.NO_CONTEXT_IN_SELECTION, "@fromContext argument does not reference a "
               f'context "{argument.from_context}".', typedef,
               'write the field as "$<context name> { <field> }"')
        return
    if context not in setters:
        report(errors.CONTEXT_NOT_SET, f'Context "{context}" is used at location '
               f'"{coordinate}" but is never set.', typedef,
               f'put @context(name: "{context}") on the type the value comes from')
    else:
        check = _SelectionCheck(subgraph, context, coordinate, argument.type)
        for message in check.run(selection, setters[context]):
            report(errors.CONTEXT_INVALID_SELECTION, message, typedef,
                   "select exactly one field of the argument's type from the context type")
    if not any(key.resolvable for key in typedef.keys):
        report(errors.CONTEXT_NO_RESOLVABLE_KEY, f'Object "{typedef.name}" has no resolvable '
               "key but has a field with a contextual argument.", typedef,
               f'add a resolvable @key to "{typedef.name}"')


class _SelectionCheck:
    """Apollo's ``validateFieldValue``: the problems of one ``@fromContext`` selection, in its
    order and words (it stops at the first problem of some kinds)."""

    def __init__(self, subgraph: Subgraph, context: str, coordinate: str,
                 expected: TypeNode) -> None:
        self.subgraph = subgraph
        self.coordinate = coordinate
        self.head = f'Context "{context}" is used in "{coordinate}" but the selection is invalid'
        self.expected = expected
        self.problems: list[str] = []

    def run(self, selection: str, locations: list[TypeDef]) -> list[str]:
        text = selection if selection.strip().startswith("{") else "{" + selection + "}"
        try:
            operation = parse(text, no_location=True).definitions[0]
        except GraphQLSyntaxError as exc:
            return [f"{self.head}: {exc.message}"]
        assert isinstance(operation, OperationDefinitionNode)
        selection_set = operation.selection_set
        conditions = self._format(selection_set)
        if self.problems:
            return self.problems
        used: set[str] = set()
        for location in locations:
            unknown = _unknown_field(self.subgraph, selection_set, location.name)
            if unknown:
                return [*self.problems,
                        f"{self.head} for type {location.name}. Error: {unknown}"]
            if _any(selection_set, lambda s: bool(s.directives)):
                self.problems.append(f"{self.head}: directives are not allowed in the selection")
            if _any(selection_set, lambda s: isinstance(s, FieldNode) and bool(s.alias)):
                self.problems.append(f"{self.head}: aliases are not allowed in the selection")
            if conditions is None:
                resolved = self._resolved_type(location, selection_set)
                if resolved is None or not _valid(resolved, self.expected):
                    return self._mismatch(resolved or "undefined")
            elif self._fragments(location, selection_set, used):
                return self.problems
        return self.problems + [f'{self.head}: type condition "{c}" is never used.'
                                for c in sorted(conditions or ()) if c not in used]

    def _format(self, selection_set: SelectionSetNode) -> set[str] | None:
        """One field (None), or inline fragments on distinct types (their names)."""
        selections = selection_set.selections
        first = selections[0]
        if isinstance(first, FragmentSpreadNode):
            self.problems.append(f"{self.head}: fragment spread is not allowed")
        elif isinstance(first, FieldNode):
            if len(selections) != 1:
                self.problems.append(f"{self.head}: multiple selections are made")
        elif not all(isinstance(s, InlineFragmentNode) for s in selections):
            self.problems.append(f"{self.head}: multiple fields could be selected")
        else:
            conditions = {s.type_condition.name.value for s in selections
                          if isinstance(s, InlineFragmentNode) and s.type_condition}
            if len(conditions) != len(selections):
                self.problems.append(f"{self.head}: type conditions have same name")
            return conditions
        return None

    def _fragments(self, location: TypeDef, selection_set: SelectionSetNode,
                   used: set[str]) -> bool:
        """Inline fragments of one context type checked; True when Apollo stops there."""
        matching: list[tuple[TypeDef, SelectionSetNode]] = []
        for fragment in selection_set.selections:
            assert isinstance(fragment, InlineFragmentNode)
            if fragment.type_condition is None:
                self.problems.append(f'{self.head}: inline fragments must have type conditions"')
                continue
            condition = self.subgraph.types.get(fragment.type_condition.name.value)
            if condition is not None and condition.kind == "object":
                if condition.name in _runtime_types(self.subgraph, location):
                    matching.append((condition, fragment.selection_set))
                    used.add(condition.name)
            else:
                self.problems.append(f'{self.head}: type conditions must be an object type"')
        if not matching:
            self.problems.append(f"{self.head}: no type condition matches the location "
                                 f'"{location.name}"')
            return True
        for condition, inner in matching:
            resolved = self._resolved_type(condition, inner)
            if resolved is None:
                self.problems.append(f"{self.head}: the type of the selection does not match "
                                     f'the expected type "{print_ast(self.expected)}"')
                return True
            if not _valid(resolved, self.expected):
                self._mismatch(resolved)
                return True
        return False

    def _mismatch(self, resolved: str) -> list[str]:
        self.problems.append(f'{self.head}: the type of the selection "{resolved}" does not '
                             f'match the expected type "{print_ast(self.expected)}"')
        return self.problems

    def _resolved_type(self, parent: TypeDef, selection_set: SelectionSetNode) -> str | None:
        """The one type the selection yields, list wrappers kept and non-null dropped (as
        Apollo computes it), or None when its fields disagree."""
        if parent.interface_object:
            # Apollo's wording, without the context's name.
            self.problems.append(f'Context "is used in "{self.coordinate}" but the selection is '
                                 "invalid: One of the types in the selection is an "
                                 f'interfaceObject: "{parent.name}"')
        found: list[str | None] = []
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode):
                found.append(None)
                continue
            name = selection.name.value
            field_type = _TYPENAME if name == "__typename" else parent.fields[name].type
            if selection.selection_set is None:
                found.append(_wrap(field_type, _base(field_type)))
                continue
            inner = self._resolved_type(self.subgraph.types[_base(field_type)],
                                        selection.selection_set)
            found.append(_wrap(field_type, inner) if inner is not None else None)
        return found[0] if all(f == found[0] for f in found) else None


def _runtime_types(subgraph: Subgraph, typedef: TypeDef) -> set[str]:
    if typedef.kind == "object":
        return {typedef.name}
    return {n for n, t in subgraph.types.items() if t.kind == "object"
            and (typedef.name in t.interfaces or n in typedef.members)}


def _unknown_field(subgraph: Subgraph, selection_set: SelectionSetNode, parent: str) -> str | None:
    """Apollo's parse error for a selection naming a field its type lacks."""
    owner = subgraph.types.get(parent)
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            found = _unknown_field(subgraph, selection.selection_set,
                                   condition.name.value if condition else parent)
        elif isinstance(selection, FieldNode) and selection.name.value != "__typename":
            field = owner.fields.get(selection.name.value) if owner else None
            if field is None:
                return f'Cannot query field "{selection.name.value}" on type "{parent}".'
            found = _unknown_field(subgraph, selection.selection_set, _base(field.type)) \
                if selection.selection_set else None
        else:
            found = None
        if found:
            return found
    return None


def _any(selection_set: SelectionSetNode, test: Callable[[FieldNode | InlineFragmentNode], bool]
         ) -> bool:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode | InlineFragmentNode) and (
                test(selection) or (selection.selection_set is not None
                                    and _any(selection.selection_set, test))):
            return True
    return False


def _wrap(original: TypeNode, inner: str) -> str:
    if isinstance(original, NonNullTypeNode):
        return _wrap(original.type, inner)
    if isinstance(original, ListTypeNode):
        return f"[{_wrap(original.type, inner)}]"
    return inner


def _valid(resolved: str, expected: TypeNode) -> bool:
    """Apollo's ``isValidImplementationFieldType`` for a resolved type without non-nulls."""
    if resolved.startswith("[") and isinstance(expected, ListTypeNode):
        return _valid(resolved[1:-1], expected.type)
    return not resolved.startswith("[") and isinstance(expected, NamedTypeNode) \
        and expected.name.value == resolved


def _base(type_node: TypeNode) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type  # type: ignore[attr-defined]
    return type_node.name.value

