"""Rebuilding the client response from the merged subgraph answers (the hot path).

Only the non-null wrapper produces ``_INVALID``; every nullable position turns it into
``None``, which is how a null bubbles to the nearest nullable parent. ``bubbled`` records that
it happened, so the caller can report where (see :mod:`.violations`), off the hot path.
"""

from collections.abc import Mapping
from typing import Any

from .shape import (
    CONDITIONAL,
    COPY,
    ENUM,
    LEAF,
    LIST,
    NON_NULL,
    NULLABLE_OBJECT,
    OBJECT,
    OBJECTS,
    PASSTHROUGH,
    REQUIRED,
    TYPENAME,
    FieldShape,
    ObjectShape,
)

_INVALID = object()
_AS_IS = (LEAF, PASSTHROUGH)


def complete_root(
    shape: ObjectShape, data: dict[str, Any], variables: Mapping[str, Any], bubbled: list[bool]
) -> dict[str, Any] | None:
    result = _object(shape, data, variables, shape.type_name, bubbled)
    if result is _INVALID:
        bubbled.append(True)
        return None
    return result  # type: ignore[no-any-return]


def _object(
    shape: ObjectShape,
    value: dict[str, Any],
    variables: Mapping[str, Any],
    type_name: str,
    bubbled: list[bool],
) -> Any:
    if shape.abstract:
        type_name = value.get("__typename") or type_name
        if type_name not in shape.runtime_types and type_name not in shape.compiler.schema.type_map:
            return None
    out: dict[str, Any] = {}
    for key, step, payload in shape.steps_for(type_name):
        if step == COPY:
            out[key] = value.get(key)
            continue
        if step == REQUIRED:
            found = value.get(key)
            if found is None:
                return _INVALID
            out[key] = found
            continue
        if step == OBJECTS:
            found = value.get(key)
            out[key] = (_objects(payload[0], found, variables, payload[1], bubbled)
                        if isinstance(found, list) else None)
            continue
        if step == NULLABLE_OBJECT:
            found = value.get(key)
            if isinstance(found, dict):
                found = _object(payload[0], found, variables, payload[1], bubbled)
                if found is _INVALID:
                    bubbled.append(True)
                    found = None
                out[key] = found
            else:
                out[key] = None
            continue
        if step == TYPENAME:
            out[key] = type_name
            continue
        if step == CONDITIONAL:
            field = payload
            payload = conditional(field, variables)
            if payload is None:
                continue
            if field.name == "__typename":
                out[key] = type_name
                continue
        result = _value(payload, value.get(key), variables, bubbled)
        if result is _INVALID:
            return _INVALID
        out[key] = result
    return out


def _value(
    descriptor: tuple[Any, ...], value: Any, variables: Mapping[str, Any], bubbled: list[bool]
) -> Any:
    kind = descriptor[0]
    if kind == NON_NULL:
        result = _value(descriptor[1], value, variables, bubbled)
        return _INVALID if result is None or result is _INVALID else result
    if value is None or kind in _AS_IS:
        return value
    if kind == OBJECT:
        if not isinstance(value, dict):
            return None
        result = _object(descriptor[1], value, variables, descriptor[2], bubbled)
        if result is _INVALID:
            bubbled.append(True)
            return None
        return result
    if kind == LIST:
        if not isinstance(value, list):
            return None
        inner = descriptor[1]
        if inner[0] == OBJECT:
            return _objects(inner[1], value, variables, inner[2], bubbled)
        items = []
        for item in value:
            result = _value(inner, item, variables, bubbled)
            if result is _INVALID:
                bubbled.append(True)
                return None
            items.append(result)
        return items
    if kind == ENUM:
        return value if value in descriptor[1] else None
    return value


def _objects(
    shape: ObjectShape, value: list[Any], variables: Mapping[str, Any], type_name: str,
    bubbled: list[bool],
) -> list[Any]:
    """A list of nullable objects (the common list): :func:`_value` inlined per item."""
    items: list[Any] = []
    for item in value:
        if not isinstance(item, dict):
            items.append(None)
            continue
        result = _object(shape, item, variables, type_name, bubbled)
        if result is _INVALID:
            bubbled.append(True)
            result = None
        items.append(result)
    return items


def conditional(field: FieldShape, variables: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The descriptor for a field selected under ``@skip``/``@include``, or ``None`` if skipped."""
    included = [
        selection_set
        for conditions, selection_set in field.occurrences or ()
        if all((variables.get(name) is True) == include for name, include in conditions)
    ]
    if not included:
        return None
    sets = tuple(s for s in included if s is not None)
    return _rebind(field.descriptor, sets)


def _rebind(descriptor: tuple[Any, ...], sets: tuple[Any, ...]) -> tuple[Any, ...]:
    kind = descriptor[0]
    if kind in (NON_NULL, LIST):
        return (kind, _rebind(descriptor[1], sets))
    if kind == OBJECT:
        compiler = descriptor[3]
        return (OBJECT, compiler.shape_for(descriptor[2], sets), descriptor[2], compiler)
    return descriptor
