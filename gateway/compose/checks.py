"""Stage 1b: each subgraph's ``@key``, ``@requires`` and ``@provides`` checked on its own."""

import json
from collections.abc import Callable, Iterator

from graphql import FieldNode, InlineFragmentNode, Node, SelectionSetNode, print_ast

from gateway.compose import errors
from gateway.compose.context_checks import check_contexts
from gateway.compose.directives import AUTH_DIRECTIVES
from gateway.compose.errors import CompositionError, line_of
from gateway.compose.fieldset import FieldSetSyntaxError, Selected, parse_field_set, selected_fields
from gateway.compose.model import Field, Subgraph
from gateway.compose.shareable import used_fields
from gateway.compose.types import base_name, type_str

_COMPOSITE = ("object", "interface", "union")


def check_field_sets(subgraph: Subgraph) -> list[CompositionError]:
    found: list[CompositionError] = []

    def error(code: str, message: str, node: Node | None, hint: str) -> None:
        found.append(CompositionError(code, f"[{subgraph.name}] {message}", subgraph.name,
                                      subgraph.file, line_of(node), hint))

    for typedef in subgraph.types.values():
        for key in typedef.keys:
            prefix = f'On type "{typedef.name}", for @key(fields: {_quoted(key.fields)}): '
            for code, message, hint in _key_problems(subgraph, typedef.name, key.fields):
                error(code, prefix + message, key.node, hint)
        for field in typedef.fields.values():
            coordinate = f"{typedef.name}.{field.name}"
            if field.requires is not None:
                prefix = (f'On field "{coordinate}", for @requires(fields: '
                          f"{_quoted(field.requires)}): ")
                for code, message, hint in _requires_problems(subgraph, typedef.name, field):
                    error(code, prefix + message, field.node, hint)
            if field.provides is not None and field.external:
                error(errors.EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE,
                      f'Cannot have both @provides and @external on field "{coordinate}"',
                      field.node, "drop @external: a field that provides others is resolved "
                      "here")
            elif field.provides is not None:
                prefix = (f'On field "{coordinate}", for @provides(fields: '
                          f"{_quoted(field.provides)}): ")
                for code, message, hint in _provides_problems(subgraph, field, coordinate):
                    whole = code == errors.PROVIDES_ON_NON_OBJECT_FIELD
                    error(code, message if whole else prefix + message, field.node, hint)
    if subgraph.fed2:
        _check_interface_fields(subgraph, error)
        check_contexts(subgraph, lambda code, message, typedef, hint:
                       error(code, message, typedef.node, hint))
        _check_unused_externals(subgraph, error)
    _check_auth_on_interfaces(subgraph, error)
    return found


def _check_auth_on_interfaces(subgraph: Subgraph, error: Callable[..., None]) -> None:
    """Auth goes on objects and their fields; interfaces get it from their implementations."""
    for typedef in subgraph.types.values():
        if typedef.kind != "interface" and not typedef.interface_object:
            continue
        kind = "interface" if typedef.kind == "interface" else "interface object"
        elements = [(kind, typedef.name, typedef.directives)]
        if typedef.kind == "interface":
            elements += [("field", f"{typedef.name}.{f.name}", f.directives)
                         for f in typedef.fields.values()]
        for element_kind, coordinate, directives in elements:
            for directive in directives:
                name = directive.name.value
                if name in AUTH_DIRECTIVES:
                    error(errors.AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE,
                          f'Invalid use of @{name} on {element_kind} "{coordinate}": @{name} '
                          "cannot be applied on interfaces, interface fields and interface "
                          "objects", directive,
                          f"put @{name} on the implementing object types (or their fields); "
                          "composition carries it up to the interface")


def _quoted(fields: str) -> str:
    """The field set as Apollo prints the directive's argument (a JSON string)."""
    return json.dumps(fields, ensure_ascii=False)


def _check_interface_fields(subgraph: Subgraph, error: Callable[..., None]) -> None:
    """@external and @shareable mean nothing on an interface's fields (its implementations'
    fields are what subgraphs resolve)."""
    for typedef in subgraph.types.values():
        if typedef.kind != "interface":
            continue
        for field in typedef.fields.values():
            coordinate = f"{typedef.name}.{field.name}"
            if field.external:
                error(errors.EXTERNAL_ON_INTERFACE,
                      f'Interface type field "{coordinate}" is marked @external but @external '
                      "is not allowed on interface fields (it is nonsensical).", field.node,
                      "remove @external from the interface field")
            if field.shareable_applied:
                error(errors.INVALID_SHAREABLE_USAGE,
                      f'Invalid use of @shareable on field "{coordinate}": only object type '
                      "fields can be marked with @shareable", field.node,
                      "put @shareable on the implementing object types' fields")


def _check_unused_externals(subgraph: Subgraph, error: Callable[..., None]) -> None:
    """An ``@external`` field no key, requires, provides or interface needs is a mistake."""
    used = used_fields(subgraph)
    for typedef in subgraph.types.values():
        interface_fields = {f for i in typedef.interfaces
                            for f in (subgraph.types[i].fields if i in subgraph.types else {})}
        for field in typedef.fields.values():
            coordinate = f"{typedef.name}.{field.name}"
            if field.external and coordinate not in used and field.name not in interface_fields \
                    and field.provides is None:
                error(errors.EXTERNAL_UNUSED,
                      f'Field "{coordinate}" is marked @external but is not used in any '
                      "federation directive (@key, @provides, @requires) or to satisfy an "
                      "interface; the field declaration has no use and should be removed (or "
                      "the field should not be @external).", field.node,
                      f'remove "{coordinate}", or use it in a @key, @requires or @provides')


Problem = tuple[str, str, str]


def _selection(subgraph: Subgraph, parent: str, fields: str, code: str
               ) -> tuple[list[Selected], list[Problem]]:
    try:
        selection_set = parse_field_set(fields)
    except FieldSetSyntaxError as exc:
        return [], [(code, str(exc), "write the field set as a GraphQL selection, e.g. \"id\"")]
    return list(selected_fields(selection_set, parent, subgraph.types)), []


def _key_problems(subgraph: Subgraph, parent: str, fields: str) -> list[Problem]:
    selected, problems = _selection(subgraph, parent, fields, errors.KEY_INVALID_FIELDS)
    for item in selected:
        if item.field is None:
            problems.append((errors.KEY_INVALID_FIELDS,
                             f'Cannot query field "{item.name}" on type "{item.parent}" (the field '
                             "should either be added to this subgraph or, if it should not be "
                             "resolved by this subgraph, you need to add it to this subgraph with "
                             "@external).", f'add "{item.name}" to "{item.parent}" in this '
                             "subgraph, or fix the key"))
            continue
        kind = _kind(subgraph, item.field)
        coordinate = f"{item.parent}.{item.name}"
        if item.field.args:
            problems.append((errors.KEY_FIELDS_HAS_ARGS,
                             f"field {coordinate} cannot be included because it has arguments "
                             "(fields with argument are not allowed in @key)",
                             "key on fields without arguments"))
        elif kind in ("interface", "union"):
            problems.append((errors.KEY_FIELDS_SELECT_INVALID_TYPE,
                             f'field "{coordinate}" is a {kind.capitalize()} type which is not '
                             "allowed in @key", "key on scalar, enum or object fields"))
        else:
            problems += _selection_shape(item, kind, errors.KEY_INVALID_FIELDS)
    if not problems:
        problems += _directives_in_fields(fields, "key", errors.KEY_DIRECTIVE_IN_FIELDS_ARG)
    return problems


def _requires_problems(subgraph: Subgraph, parent: str, field: Field) -> list[Problem]:
    assert field.requires is not None
    selected, problems = _selection(subgraph, parent, field.requires,
                                    errors.REQUIRES_INVALID_FIELDS)
    for item in selected:
        if item.field is None:
            problems.append((errors.REQUIRES_INVALID_FIELDS,
                             f'Cannot query field "{item.name}" on type "{item.parent}" (if the '
                             "field is defined in another subgraph, you need to add it to this "
                             "subgraph with @external).",
                             f'add `{item.name}: <type> @external` to "{item.parent}"'))
        else:
            problems += _selection_shape(item, _kind(subgraph, item.field),
                                         errors.REQUIRES_INVALID_FIELDS)
    if not problems:
        problems += _directives_in_fields(field.requires, "requires",
                                          errors.REQUIRES_DIRECTIVE_IN_FIELDS_ARG)
        problems += _missing_externals(subgraph, parent, field.requires, "requires",
                                       errors.REQUIRES_FIELDS_MISSING_EXTERNAL)
    return problems


def _provides_problems(subgraph: Subgraph, field: Field, coordinate: str) -> list[Problem]:
    assert field.provides is not None
    target = base_name(field.type)
    if target not in subgraph.types or subgraph.types[target].kind not in _COMPOSITE:
        return [(errors.PROVIDES_ON_NON_OBJECT_FIELD,
                 f'Invalid @provides directive on field "{coordinate}": field has type '
                 f'"{type_str(field.type)}" which is not a Composite Type',
                 "use @provides only on fields returning an object type")]
    selected, problems = _selection(subgraph, target, field.provides,
                                    errors.PROVIDES_INVALID_FIELDS)
    for item in selected:
        if item.field is None:
            problems.append((errors.PROVIDES_INVALID_FIELDS,
                             f'Cannot query field "{item.name}" on type "{item.parent}" (if the '
                             "field is defined in another subgraph, you need to add it to this "
                             "subgraph with @external).",
                             f'add `{item.name}: <type> @external` to "{item.parent}"'))
    if not problems:
        problems += _directives_in_fields(field.provides, "provides",
                                          errors.PROVIDES_DIRECTIVE_IN_FIELDS_ARG)
        problems += [(errors.PROVIDES_FIELDS_HAS_ARGS,
                      f"field {item.parent}.{item.name} cannot be included because it has "
                      "arguments (fields with argument are not allowed in @provides)",
                      "provide fields without arguments")
                     for item in selected if item.field is not None and item.field.args]
        problems += _missing_externals(subgraph, target, field.provides, "provides",
                                       errors.PROVIDES_FIELDS_MISSING_EXTERNAL)
    return problems


def _directives_in_fields(fields: str, directive: str, code: str) -> list[Problem]:
    """Field sets are data, not operations: ``@include``/``@skip`` and the like are refused."""
    problems: list[Problem] = []

    def walk(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if selection.directives:
                found = ", ".join(print_ast(d) for d in selection.directives)
                problems.append((code, "cannot have directive applications in the "
                                 f"@{directive}(fields:) argument but found {found}.",
                                 f"remove {found} from the field set"))
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                walk(inner)

    walk(parse_field_set(fields))
    return problems


def _missing_externals(subgraph: Subgraph, parent: str, fields: str, directive: str,
                       code: str) -> list[Problem]:
    """Apollo's rule: a selected leaf must be ``@external`` unless a field above it on the path
    is (``comments(limit: 3) { authorId }`` needs ``comments`` or ``authorId`` external), since
    only an external field is something this subgraph cannot resolve itself."""
    problems: list[Problem] = []
    for selected, in_external in _leaves(subgraph, parse_field_set(fields), parent, False):
        if in_external or selected.field is None or selected.field.external:
            continue
        coordinate = f"{selected.parent}.{selected.name}"
        if selected.field.fake_external and subgraph.fed2:
            reason = ('already "effectively" provided by this subgraph (while it is marked '
                      "@external, it is a @key field of an extension type, which are not "
                      "internally considered external for historical/backward compatibility "
                      "reasons)")
        else:
            reason = "already provided by this subgraph (it is not marked @external)"
        problems.append((code, f'field "{coordinate}" should not be part of a @{directive} '
                         f"since it is {reason}",
                         f'mark "{coordinate}" @external, or drop it from @{directive}'))
    return problems


def _leaves(subgraph: Subgraph, selection_set: SelectionSetNode, parent: str,
            in_external: bool) -> Iterator[tuple[Selected, bool]]:
    """Each leaf field a field set selects, with whether an external field lies above it."""
    owner = subgraph.types.get(parent)
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            yield from _leaves(subgraph, selection.selection_set,
                               condition.name.value if condition else parent, in_external)
            continue
        if not isinstance(selection, FieldNode) or selection.name.value == "__typename":
            continue
        found = owner.fields.get(selection.name.value) if owner else None
        if found is None:
            continue
        if selection.selection_set is None:
            yield Selected(parent, selection.name.value, found, selection), in_external
            continue
        below = in_external or found.external or _external_in_implementations(
            subgraph, parent, found.name)
        yield from _leaves(subgraph, selection.selection_set, base_name(found.type), below)


def _external_in_implementations(subgraph: Subgraph, parent: str, name: str) -> bool:
    """On an interface, a field may be external in some implementation: count it as external."""
    owner = subgraph.types.get(parent)
    if owner is None or owner.kind != "interface":
        return False
    return any(parent in t.interfaces and name in t.fields and t.fields[name].external
               for t in subgraph.types.values() if t.kind == "object")


def _selection_shape(item: Selected, kind: str, code: str) -> list[Problem]:
    assert item.field is not None
    coordinate = f"{item.parent}.{item.name}"
    if kind in _COMPOSITE and item.node.selection_set is None:
        return [(code, f'Invalid empty selection set for field "{coordinate}" of non-leaf type '
                 f"{base_name(item.field.type)}",
                 f'select the sub-fields of "{coordinate}", e.g. "{item.name} {{ id }}"')]
    if kind not in _COMPOSITE and item.node.selection_set is not None:
        return [(code, f'Field "{item.name}" must not have a selection since type '
                 f'"{base_name(item.field.type)}" has no subfields.',
                 f'remove the selection after "{item.name}"')]
    return []


def _kind(subgraph: Subgraph, field: Field) -> str:
    found = subgraph.types.get(base_name(field.type))
    return found.kind if found else "scalar"
