"""Locating non-null violations, so a bubbled null comes with an error saying where.

Runs only when completion reports a bubble and no subgraph error already explains it.
"""

from collections.abc import Mapping
from typing import Any

from .complete import conditional
from .shape import LIST, NON_NULL, OBJECT, ObjectShape

Violation = tuple[list[str | int], str, str]


def first_violation(
    shape: ObjectShape, data: Mapping[str, Any], variables: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The GraphQL error for the first non-null field that came back null, if any."""
    found = _object(shape, data, variables, shape.type_name, [])
    if found is None:
        return None
    path, type_name, field = found
    return {
        "message": f"Cannot return null for non-nullable field {type_name}.{field}.",
        "path": path,
    }


def _object(
    shape: ObjectShape,
    value: Mapping[str, Any],
    variables: Mapping[str, Any],
    type_name: str,
    path: list[str | int],
) -> Violation | None:
    if shape.abstract:
        type_name = value.get("__typename") or type_name
    for field in shape.fields_for(type_name):
        descriptor = (
            field.descriptor if field.occurrences is None else conditional(field, variables)
        )
        if descriptor is None or field.name == "__typename":
            continue
        found = _value(
            descriptor, value.get(field.key), variables, [*path, field.key], type_name, field.name
        )
        if found is not None:
            return found
    return None


def _value(
    descriptor: tuple[Any, ...],
    value: Any,
    variables: Mapping[str, Any],
    path: list[str | int],
    type_name: str,
    field: str,
) -> Violation | None:
    kind = descriptor[0]
    if kind == NON_NULL:
        if value is None:
            return path, type_name, field
        return _value(descriptor[1], value, variables, path, type_name, field)
    if kind == LIST and isinstance(value, list):
        for index, item in enumerate(value):
            found = _value(descriptor[1], item, variables, [*path, index], type_name, field)
            if found is not None:
                return found
    if kind == OBJECT and isinstance(value, dict) and descriptor[1] is not None:
        return _object(descriptor[1], value, variables, descriptor[2], path)
    return None
