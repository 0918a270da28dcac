"""Writing the removed fields back into a response: null plus an error at each place.

Paths expand through lists (``["stores", "inventory"]`` becomes ``["stores", 0,
"inventory"]``, ``["stores", 1, "inventory"]``, …), objects that are null are skipped (their
own error explains them), and a removal under a type condition only touches objects whose
``__typename`` matches. The ``__typename`` the transform added is stripped last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.authorization.conditions import included
from gateway.authorization.transform import (
    TYPENAME_ALIAS,
    AuthorizationResult,
    Path,
    RemovedField,
)
from schema.kernel.errors import ErrorCode

ResponsePath = list[str | int]


def _objects_at(value: Any, path: Path, concrete: ResponsePath) -> list[tuple[dict, ResponsePath]]:
    """Every object reached by following ``path`` from ``value``, with its concrete path."""
    if isinstance(value, list):
        found = []
        for index, item in enumerate(value):
            found.extend(_objects_at(item, path, [*concrete, index]))
        return found
    if not isinstance(value, dict):
        return []
    if not path:
        return [(value, concrete)]
    return _objects_at(value.get(path[0]), path[1:], [*concrete, path[0]])


def _error(removed: RemovedField, path: ResponsePath) -> dict[str, Any]:
    return {"message": f"Unauthorized field or type: {removed.coordinate} needs "
                       f"{removed.requirement}",
            "path": path, "extensions": {"code": str(ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE)}}


def apply_unauthorized(result: AuthorizationResult, response: dict[str, Any],
                       variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Add null and an ``UNAUTHORIZED_FIELD_OR_TYPE`` error for each removed field, in place.

    ``variables`` are the request's (coerced) variables, for ``@skip``/``@include``; without
    them a removal under a variable condition is reported as if included.
    """
    if not result.removed and not result.typename_added:
        return response
    data = response.get("data")
    errors: list[dict[str, Any]] = []
    for removed in result.removed:
        if not included(removed.conditions, variables):
            continue
        key = removed.path[-1]
        for parent, concrete in _objects_at(data, removed.path[:-1], []):
            runtime_type = parent.get(TYPENAME_ALIAS, parent.get("__typename"))
            if removed.runtime_types is not None and runtime_type not in removed.runtime_types:
                continue
            parent[key] = None
            errors.append(_error(removed, [*concrete, key]))
    for path in result.typename_added:
        for parent, _ in _objects_at(data, path, []):
            parent.pop(TYPENAME_ALIAS, None)
    if errors:
        response["errors"] = [*response.get("errors", ()), *errors]
    return response
