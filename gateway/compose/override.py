"""``@override(from:, label:)``: which subgraph's copy of a field is taken over, and how."""

import re
from dataclasses import dataclass, field

from gateway.compose import errors
from gateway.compose.model import Field
from gateway.compose.state import MergeState

_LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:./]*$")
_PERCENT = re.compile(r"^percent\((\d{1,2}(\.\d{1,8})?|100)\)$")


@dataclass
class Overrides:
    """Per subgraph index: overridden but still used by a key/requires/provides (``used``),
    overridden and unused (``unused``), the progressive-override label, unknown ``from``."""

    used: set[int] = field(default_factory=set)
    unused: set[int] = field(default_factory=set)
    labels: dict[int, str] = field(default_factory=dict)
    unknown_target: set[int] = field(default_factory=set)

    def overridden(self, index: int) -> bool:
        return index in self.used or index in self.unused


def check_overrides(state: MergeState, coordinate: str,
                    sources: dict[int, Field | None]) -> Overrides:
    result = Overrides()
    for index, source in sources.items():
        if source is None or source.override_from is None:
            continue
        target, name = source.override_from, state.names[index]
        target_index = state.names.index(target) if target in state.names else None
        target_field = sources.get(target_index) if target_index is not None else None
        if target == name:
            state.error(errors.OVERRIDE_FROM_SELF_ERROR,
                        f'Source and destination subgraphs "{target}" are the same for '
                        f'overridden field "{coordinate}"', index, source.node,
                        "name the subgraph the field moves away from in @override(from:)")
        elif target_field is not None and target_field.override_from is not None:
            state.error(errors.OVERRIDE_SOURCE_HAS_OVERRIDE,
                        f'Field "{coordinate}" on subgraph "{name}" is also marked with '
                        f'directive @override in subgraph "{target}". Only one @override '
                        f'directive is allowed per field.', index, source.node,
                        f'remove @override from "{coordinate}" in one of the two subgraphs')
        elif target_index is None or target_field is None:
            if target_index is None:
                result.unknown_target.add(index)
        elif not target_field.external:
            _take_over(state, result, coordinate, index, target_index, source)
    return result


def _take_over(state: MergeState, result: Overrides, coordinate: str, index: int,
               target_index: int, source: Field) -> None:
    if coordinate in state.used[target_index]:
        result.used.add(target_index)
    else:
        result.unused.add(target_index)
    label = source.override_label
    if label is None:
        return
    percent = _PERCENT.match(label)
    if _LABEL.match(label) or (percent and 0 <= float(percent.group(1)) <= 100):
        result.labels[index] = result.labels[target_index] = label
        return
    state.error(errors.OVERRIDE_LABEL_INVALID,
                f'Invalid @override label "{label}" on field "{coordinate}" on subgraph '
                f'"{state.names[index]}": labels must start with a letter and after that may '
                f'contain alphanumerics, underscores, minuses, colons, periods, or slashes. '
                f'Alternatively, labels may be of the form "percent(x)" where x is a float '
                f'between 0-100 inclusive.', index, source.node,
                'use a label like "my-flag" or "percent(25)"')
