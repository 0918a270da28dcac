"""Fields of object and interface types merged across subgraphs, with ``@join__field``."""

import re

from graphql import Node

from gateway.compose import errors
from gateway.compose.applied import merge_applied
from gateway.compose.merge_external import validate_external
from gateway.compose.merge_types import merge_default, merge_type_reference
from gateway.compose.model import Argument, Field, TypeDef
from gateway.compose.override import Overrides, check_overrides
from gateway.compose.report import join_strings, subgraph_names
from gateway.compose.state import MergeState, most_common_description
from gateway.compose.supergraph import (
    ContextArgument,
    JoinField,
    MergedArgument,
    MergedField,
    MergedType,
)
from gateway.compose.types import type_str

FieldSources = dict[int, Field | None]


def merge_composite_fields(state: MergeState, sources: dict[int, TypeDef],
                           dest: MergedType) -> None:
    """Merge the fields of an object or interface type defined in ``sources``."""
    names: list[str] = []
    for typedef in sources.values():
        names += [name for name in typedef.fields if name not in names]
    indices = sorted(set(sources) | _abstracting_subgraphs(state, dest))
    for name in names:
        field_sources = {
            i: sources[i].fields.get(name) if i in sources else None for i in indices
        }
        merged = MergedField(name, next(f.type for f in field_sources.values() if f))
        dest.fields[name] = merged
        coordinate = f"{dest.name}.{name}"
        overrides = check_overrides(state, coordinate, field_sources)
        _merge_field(state, dest, field_sources, merged, overrides)
        if dest.kind == "object":
            _validate_sharing(state, dest, field_sources, merged, overrides)
        if dest.name == "Subscription":
            _validate_subscription_field(state, field_sources)


def _validate_subscription_field(state: MergeState, sources: FieldSources) -> None:
    """Each subscription event comes from one subgraph: root subscription fields never share."""
    shared = [(i, f) for i, f in sources.items() if f is not None and f.shareable_applied]
    if shared:
        state.error(errors.INVALID_FIELD_SHARING,
                    "Fields on root level subscription object cannot be marked as shareable",
                    shared[0][0], shared[0][1].node,
                    "remove @shareable from this subscription field")


def _abstracting_subgraphs(state: MergeState, dest: MergedType) -> set[int]:
    """Subgraphs where an interface of ``dest`` is an ``@interfaceObject``."""
    return {
        i for i, subgraph in enumerate(state.subgraphs) for interface in dest.interfaces
        if (found := subgraph.types.get(interface)) is not None and found.interface_object
    }


def _abstracted_fields(state: MergeState, dest: MergedType, index: int, name: str) -> list[Field]:
    """The ``@interfaceObject`` fields that stand for ``dest.name`` in subgraph ``index``."""
    return [field for _, field in _abstracted_with_parent(state, dest, index, name)]


def _merge_field(state: MergeState, dest: MergedType, sources: FieldSources,
                 merged: MergedField, overrides: Overrides) -> None:
    coordinate = f"{dest.name}.{merged.name}"
    if _all_external(state, dest, sources, merged.name):
        defining = [state.names[i] for i, f in sources.items() if f is not None]
        state.error(errors.EXTERNAL_MISSING_ON_BASE,
                    f'Field "{coordinate}" is marked @external on all the subgraphs in which it '
                    f'is listed ({subgraph_names(defining)}).',
                    *state.locate(dest.name, merged.name),
                    f'define "{coordinate}" without @external in the subgraph that resolves it')
        return
    resolving = {i: f for i, f in sources.items() if f is not None and not f.external}
    present = {i: f for i, f in sources.items() if f is not None}
    if resolving:
        merged.description = most_common_description(
            {i: f.description for i, f in resolving.items()})
        merged.directives = merge_applied(
            (f.directives for f in resolving.values()), state.rules)
        _merge_arguments(state, coordinate, resolving, merged)
    merged.type, all_equal = merge_type_reference(
        state, coordinate, {i: f.type for i, f in (resolving or present).items()},
        input_position=False, argument=False)
    if any(f.external for f in present.values()):
        validate_external(state, coordinate, present, merged, all_equal)
    if _needs_join_field(state, dest.name, sources, all_equal, overrides):
        merged.joins = _join_fields(state, sources, all_equal, overrides)


def _all_external(state: MergeState, dest: MergedType, sources: FieldSources, name: str) -> bool:
    for index, source in sources.items():
        fields = [source] if source is not None else _abstracted_fields(state, dest, index, name)
        if not all(f.external for f in fields):
            return False
    return True


def _merge_arguments(state: MergeState, coordinate: str, sources: dict[int, Field],
                     merged: MergedField) -> None:
    names: list[str] = []
    for source in sources.values():
        names += [name for name in source.args if name not in names]
    for name in names:
        arguments = {i: f.args.get(name) for i, f in sources.items()}
        arg_coordinate = f"{coordinate}({name}:)"
        if any(a is not None and a.from_context for a in arguments.values()):
            _check_contextual_everywhere(state, arg_coordinate, arguments)
            continue
        missing = [state.names[i] for i, a in arguments.items() if a is None]
        if missing:
            required = [state.names[i] for i, a in arguments.items()
                        if a is not None and type_str(a.type).endswith("!") and a.default is None]
            if required:
                state.error(errors.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH,
                            f'Argument "{arg_coordinate}" is required in some subgraphs but does '
                            f'not appear in all subgraphs: it is required in '
                            f'{subgraph_names(required)} but does not appear in '
                            f'{subgraph_names(missing)}', *_first_required(arguments),
                            f'add the argument to "{coordinate}" in {subgraph_names(missing)}, '
                            "or make it optional")
            continue
        present = {i: a for i, a in arguments.items() if a is not None}
        argument_type, _ = merge_type_reference(
            state, arg_coordinate, {i: a.type for i, a in present.items()},
            input_position=True, argument=True)
        merged.args[name] = MergedArgument(
            name, argument_type,
            merge_default(state, arg_coordinate, {i: a.default for i, a in present.items()},
                          "Argument"),
            most_common_description({i: a.description for i, a in present.items()}),
            merge_applied((a.directives for a in present.values()), state.rules))


def _check_contextual_everywhere(state: MergeState, coordinate: str,
                                 arguments: dict[int, Argument | None]) -> None:
    """A contextual argument leaves the API; where it is not contextual it must be optional."""
    for index, argument in arguments.items():
        if argument is None or argument.from_context or argument.default is not None \
                or not type_str(argument.type).endswith("!"):
            continue
        state.error(errors.CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS,
                    f'Argument "{coordinate}" is contextual in at least one subgraph but in '
                    f'"{coordinate}" it does not have @fromContext, is not nullable and has no '
                    "default value.", index, argument.node,
                    "add @fromContext here too, or make the argument optional")


def _needs_join_field(state: MergeState, parent: str, sources: FieldSources, all_equal: bool,
                      overrides: Overrides) -> bool:
    if not all_equal or overrides.used or overrides.labels:
        return True
    if any(f is not None and _context_arguments(state, i, f) for i, f in sources.items()):
        return True
    for index, source in sources.items():
        if source is not None and index not in overrides.unused:
            if source.external or source.provides is not None or source.requires is not None:
                return True
        elif parent in state.subgraphs[index].types:
            return True
    return False


def _join_fields(state: MergeState, sources: FieldSources, all_equal: bool,
                 overrides: Overrides) -> list[JoinField]:
    joins = []
    for index, source in sources.items():
        if source is None or (index in overrides.unused and index not in overrides.labels):
            continue
        joins.append(JoinField(
            graph=state.graph(index), requires=source.requires, provides=source.provides,
            type=None if all_equal else type_str(source.type), external=source.external,
            override=source.override_from, used_overridden=index in overrides.used,
            override_label=overrides.labels.get(index),
            context_arguments=_context_arguments(state, index, source)))
    return joins


def _context_arguments(state: MergeState, index: int, field: Field) -> tuple[ContextArgument, ...]:
    """``@fromContext(field: "$ctx { sel }")`` arguments, as ``join__field`` lists them."""
    found = []
    for argument in field.args.values():
        match = _CONTEXT_FIELD.match(argument.from_context or "")
        if match:
            found.append(ContextArgument(f"{state.names[index]}__{match.group(1)}",
                                         argument.name, type_str(argument.type),
                                         match.group(2)))
    return tuple(found)


_CONTEXT_FIELD = re.compile(r"^\s*\$(\w+)(.*)$", re.DOTALL)


def validate_interface_object_sharing(state: MergeState, dest: MergedType,
                                      merged: MergedField) -> None:
    """A field only interface objects give an implementation is still resolved by each
    of them: several non-shareable copies are an error, as for any field."""
    sources: FieldSources = dict.fromkeys(range(len(state.subgraphs)))
    _validate_sharing(state, dest, sources, merged, Overrides())


def _validate_sharing(state: MergeState, dest: MergedType, sources: FieldSources,
                     merged: MergedField, overrides: Overrides) -> None:
    """A field resolved by several subgraphs must be ``@shareable`` in all of them."""
    shareable: list[str] = []
    non_shareable: list[tuple[int, str]] = []
    resolving: list[str] = []
    for index, source in sources.items():
        label = f'"{state.names[index]}"'
        if source is None:
            candidates = [(f'{label} (through @interfaceObject field "{i}.{merged.name}")', f)
                          for i, f in _abstracted_with_parent(state, dest, index, merged.name)]
        elif overrides.overridden(index):
            continue
        else:
            candidates = [(label, source)]
        for text, field in candidates:
            coordinate = f"{dest.name}.{field.name}"
            if field.external and coordinate not in state.provided[index]:
                continue
            resolving.append(text)
            if field.shareable:
                shareable.append(text)
            else:
                non_shareable.append((index, text))
    if non_shareable and (shareable or len(non_shareable) > 1):
        _sharing_error(state, dest, merged, resolving, shareable, non_shareable, overrides)


def _abstracted_with_parent(state: MergeState, dest: MergedType, index: int,
                            name: str) -> list[tuple[str, Field]]:
    """``(interface, field)`` for each @interfaceObject field standing for ``dest.name``."""
    if dest.kind != "object" or dest.name in state.subgraphs[index].types:
        return []
    found = []
    for interface in dest.interfaces:
        typedef = state.subgraphs[index].types.get(interface)
        if typedef is not None and typedef.interface_object and name in typedef.fields:
            found.append((interface, typedef.fields[name]))
    return found


def _sharing_error(state: MergeState, dest: MergedType, merged: MergedField,
                   resolving: list[str], shareable: list[str],
                   non_shareable: list[tuple[int, str]], overrides: Overrides) -> None:
    coordinate = f"{dest.name}.{merged.name}"
    listed = [text for _, text in non_shareable]
    named = _human_list(listed) if shareable else "all of them"
    extra = ""
    targetless = [(i, t) for i, t in non_shareable if i in overrides.unknown_target]
    if targetless:
        extra = (f' (please note that "{coordinate}" has an @override directive in '
                 f"{targetless[0][1]} that targets an unknown subgraph so this could be due to "
                 "misspelling the @override(from:) argument)")
    state.error(errors.INVALID_FIELD_SHARING,
                f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is '
                f"resolved from {_human_list(resolving)} and defined as non-shareable in "
                f"{named}{extra}", non_shareable[0][0],
                _merged_node(state, non_shareable[0][0], dest.name, merged.name),
                f'mark "{coordinate}" @shareable in every subgraph that resolves it, or resolve it '
                "in one subgraph only (use @external with @requires/@provides/@key elsewhere)")


def _merged_node(state: MergeState, index: int, type_name: str, field_name: str) -> Node | None:
    """The field's definition in subgraph ``index``, or the @interfaceObject field that gives
    it there."""
    typedef = state.subgraphs[index].types.get(type_name)
    found = typedef.fields.get(field_name) if typedef else None
    if found is None and type_name in state.supergraph.types:
        abstracted = _abstracted_fields(state, state.supergraph.types[type_name], index,
                                        field_name)
        found = abstracted[0] if abstracted else None
    return found.node if found else None


def _human_list(items: list[str]) -> str:
    return ("subgraph " if len(items) == 1 else "subgraphs ") + join_strings(items)


def _first_required(arguments: dict[int, Argument | None]) -> tuple[int | None, Node | None]:
    for index, argument in arguments.items():
        if argument is not None and type_str(argument.type).endswith("!"):
            return index, argument.node
    return None, None


def _index_of(present: dict[int, Field], field: Field) -> int:
    return next(i for i, f in present.items() if f is field)
