"""The API schema (what clients see once ``@inaccessible`` elements are removed) must be valid.

An accessible field may not return a hidden type, a type may not lose all its fields, and a
required argument or input field may not be hidden (clients could never send it).
"""

from graphql import Node, NonNullTypeNode

from gateway.compose import errors
from gateway.compose.state import MergeState
from gateway.compose.supergraph import MergedType
from gateway.compose.types import base_name

_CHILDREN = {"object": "fields", "interface": "fields", "input": "input fields",
             "enum": "values", "union": "members"}


def check_api_schema(state: MergeState) -> None:
    types = state.supergraph.types
    for merged in types.values():
        if _hidden(merged.directives):
            continue
        _check_children(state, merged)
        for field in merged.fields.values():
            where = state.locate(merged.name, field.name)
            if _hidden(field.directives):
                _check_required(state, merged, field.name, field.type, field.default, "input",
                                where)
                continue
            target = types.get(base_name(field.type))
            if target is not None and _hidden(target.directives):
                _referenced(state, target, f"{merged.name}.{field.name}", where)
            for argument in field.args.values():
                coordinate = f"{merged.name}.{field.name}({argument.name}:)"
                where = state.locate(merged.name, field.name, argument.name)
                if _hidden(argument.directives):
                    _check_required(state, merged, coordinate, argument.type, argument.default,
                                    "argument", where)
                    continue
                argument_type = types.get(base_name(argument.type))
                if argument_type is not None and _hidden(argument_type.directives):
                    _referenced(state, argument_type, coordinate, where)


def _check_children(state: MergeState, merged: MergedType) -> None:
    if merged.kind not in _CHILDREN:
        return
    if merged.kind == "enum":
        visible = [v for v in merged.values.values() if not _hidden(v.directives)]
        total = len(merged.values)
    elif merged.kind == "union":
        visible = [m for m in merged.members
                   if not _hidden(state.supergraph.types[m].directives)]
        total = len(merged.members)
    else:
        visible = [f for f in merged.fields.values() if not _hidden(f.directives)]
        total = len(merged.fields)
    if total and not visible:
        state.error(errors.ONLY_INACCESSIBLE_CHILDREN,
                    f'Type "{merged.name}" is in the API schema but all of its '
                    f"{_CHILDREN[merged.kind]} are @inaccessible.", *state.locate(merged.name),
                    hint=f'make one of '
                    f'"{merged.name}"\'s {_CHILDREN[merged.kind]} accessible, or mark '
                    f'"{merged.name}" @inaccessible too')


def _check_required(state: MergeState, parent: MergedType, coordinate: str, type_node: object,
                    default: object, kind: str, where: tuple[int | None, Node | None]) -> None:
    if not isinstance(type_node, NonNullTypeNode) or default is not None:
        return
    if kind == "argument":
        message = (f'Argument "{coordinate}" is @inaccessible but is a required argument of its '
                   "field.")
    elif parent.kind == "input":
        message = (f'Input field "{parent.name}.{coordinate}" is @inaccessible but is a required '
                   "input field of its type.")
    else:
        return
    state.error(errors.REQUIRED_INACCESSIBLE, message, *where,
                hint="make it optional (nullable or with a default) before hiding it")


def _referenced(state: MergeState, target: MergedType, coordinate: str,
                where: tuple[int | None, Node | None]) -> None:
    state.error(errors.REFERENCED_INACCESSIBLE,
                f'Type "{target.name}" is @inaccessible but is referenced by "{coordinate}", '
                "which is in the API schema.", *where,
                hint=f'mark "{coordinate}" @inaccessible too, or make "{target.name}" accessible')


def _hidden(directives: list) -> bool:
    return any(d.name.value == "inaccessible" for d in directives)
