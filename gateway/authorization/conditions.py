"""``@skip`` and ``@include`` on removed selections, evaluated when the response is written.

The pruned plan is shared by every request with the same operation and auth shape, whatever
its variables, so whether a removed field would have been skipped is only known per request.
A removed field that the request skips gets neither null nor an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import BooleanValueNode, DirectiveNode, VariableNode

Condition = tuple[bool, bool | str]
"""``(is_include, value)``: the directive kind and its ``if`` literal or variable name."""


def conditions_of(directives: Iterable[DirectiveNode] | None) -> tuple[Condition, ...]:
    found: list[Condition] = []
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            value = argument.value
            if isinstance(value, BooleanValueNode):
                found.append((name == "include", value.value))
            elif isinstance(value, VariableNode):
                found.append((name == "include", value.name.value))
    return tuple(found)


def included(conditions: tuple[Condition, ...], variables: Mapping[str, Any] | None) -> bool:
    """Whether a selection under ``conditions`` is part of the response for ``variables``.

    Without variables only literal conditions are decided; a variable one counts as included.
    """
    for is_include, value in conditions:
        if isinstance(value, str) and variables is None:
            continue
        flag = bool(variables.get(value)) if isinstance(value, str) else value
        if flag != is_include:
            return False
    return True
