"""Unions, enums and input objects merged across subgraphs.

Enums merge by usage: an enum only read by clients (output) gets every value of every
subgraph; one only sent by clients (input) gets the values all subgraphs accept; one used both
ways must have the same values everywhere. Input objects keep the fields all subgraphs accept.
"""

from gateway.compose import errors
from gateway.compose.applied import merge_applied
from gateway.compose.merge_types import merge_default, merge_type_reference
from gateway.compose.model import Field, TypeDef
from gateway.compose.report import subgraph_names
from gateway.compose.state import MergeState, most_common_description
from gateway.compose.supergraph import JoinField, MergedEnumValue, MergedField, MergedType
from gateway.compose.types import type_str


def merge_union(state: MergeState, sources: dict[int, TypeDef], dest: MergedType) -> None:
    for typedef in sources.values():
        dest.members += [m for m in typedef.members if m not in dest.members]
    for member in dest.members:
        dest.union_members += [(state.graph(i), member) for i, typedef in sources.items()
                               if member in typedef.members]


def merge_enum(state: MergeState, sources: dict[int, TypeDef], dest: MergedType) -> None:
    usage = state.enum_usage.get(dest.name)
    positions = usage.positions if usage else {"Output"}
    for typedef in sources.values():
        for name in typedef.values:
            dest.values.setdefault(name, MergedEnumValue(name))
    for name, value in list(dest.values.items()):
        having = {i: t.values[name] for i, t in sources.items() if name in t.values}
        value.description = most_common_description({i: v.description for i, v in having.items()})
        value.directives = merge_applied(
            (v.directives for v in having.values()), state.rules)
        value.graphs = [state.graph(i) for i in having]
        if len(having) == len(sources) or _inaccessible(value.directives):
            continue
        missing = [state.names[i] for i in sources if i not in having]
        if "Input" in positions and "Output" in positions:
            assert usage is not None
            state.error(errors.ENUM_VALUE_MISMATCH,
                        f'Enum type "{dest.name}" is used as both input type (for example, as '
                        f'type of "{usage.examples["Input"]}") and output type (for example, as '
                        f'type of "{usage.examples["Output"]}"), but value "{name}" is not '
                        f'defined in all the subgraphs defining "{dest.name}": "{name}" is '
                        f'defined in {subgraph_names([state.names[i] for i in having])} but not '
                        f'in {subgraph_names(missing)}', next(iter(having)),
                        next(iter(having.values())).node,
                        f'add "{name}" to "{dest.name}" in {subgraph_names(missing)}, or mark '
                        "it @inaccessible")
        elif "Input" in positions:
            del dest.values[name]
    if not dest.values:
        state.error(errors.EMPTY_MERGED_ENUM_TYPE,
                    f'None of the values of enum type "{dest.name}" are defined consistently in '
                    f'all the subgraphs defining that type. As only values common to all '
                    f'subgraphs are merged, this would result in an empty type.',
                    next(iter(sources)), next(iter(sources.values())).node,
                    f'define at least one value of "{dest.name}" in every subgraph defining it')


def merge_input(state: MergeState, sources: dict[int, TypeDef], dest: MergedType) -> None:
    names: list[str] = []
    for typedef in sources.values():
        names += [name for name in typedef.fields if name not in names]
    for name in names:
        fields = {i: t.fields.get(name) for i, t in sources.items()}
        present = {i: f for i, f in fields.items() if f is not None}
        merged = _merge_input_field(state, f"{dest.name}.{name}", present)
        if len(present) == len(fields) or _inaccessible(merged.directives):
            if len(present) < len(fields):
                merged.joins = [JoinField(state.graph(i)) for i in present]
            dest.fields[name] = merged
            continue
        _report_missing_input_field(state, f"{dest.name}.{name}", fields)
    if not dest.fields:
        state.error(errors.EMPTY_MERGED_INPUT_TYPE,
                    f'None of the fields of input object type "{dest.name}" are consistently '
                    f'defined in all the subgraphs defining that type. As only fields common to '
                    f'all subgraphs are merged, this would result in an empty type.',
                    next(iter(sources)), next(iter(sources.values())).node,
                    f'define at least one field of "{dest.name}" in every subgraph defining it')


def _merge_input_field(state: MergeState, coordinate: str, present: dict[int, Field]
                       ) -> MergedField:
    field_type, all_equal = merge_type_reference(
        state, coordinate, {i: f.type for i, f in present.items()},
        input_position=True, argument=False)
    merged = MergedField(
        coordinate.split(".")[1], field_type,
        most_common_description({i: f.description for i, f in present.items()}),
        default=merge_default(state, coordinate, {i: f.default for i, f in present.items()},
                              "Input field"),
        directives=merge_applied((f.directives for f in present.values()), state.rules))
    if not all_equal:
        merged.joins = [JoinField(state.graph(i), type=type_str(f.type))
                        for i, f in present.items()]
    return merged


def _report_missing_input_field(state: MergeState, coordinate: str,
                                fields: dict[int, Field | None]) -> None:
    required = [state.names[i] for i, f in fields.items()
                if f is not None and type_str(f.type).endswith("!") and f.default is None]
    if not required:
        return
    missing = [state.names[i] for i, f in fields.items() if f is None]
    index, node = next((i, f.node) for i, f in fields.items()
                       if f is not None and state.names[i] in required)
    state.error(errors.REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH,
                f'Input object field "{coordinate}" is required in some subgraphs but does not '
                f'appear in all subgraphs: it is required in {subgraph_names(required)} but does '
                f'not appear in {subgraph_names(missing)}', index, node,
                f'add "{coordinate}" to {subgraph_names(missing)}, or make it optional')


def _inaccessible(directives: list) -> bool:
    return any(d.name.value == "inaccessible" for d in directives)
