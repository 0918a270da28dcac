"""Subgraph errors, rewritten to the client's response paths."""

from collections.abc import Mapping
from typing import Any

from .entities import Path


def unavailable_error(subgraph: str, message: str) -> dict[str, Any]:
    return {
        "message": message,
        "extensions": {"code": "SUBGRAPH_UNAVAILABLE", "serviceName": subgraph},
    }


def timeout_error(subgraph: str) -> dict[str, Any]:
    """A fetch stopped because the operation's time budget ran out."""
    return {
        "message": f"subgraph '{subgraph}' stopped: the request deadline exceeded",
        "extensions": {"code": "GATEWAY_TIMEOUT", "serviceName": subgraph},
    }


def root_errors(errors: Any, subgraph: str) -> list[dict[str, Any]]:
    if not isinstance(errors, list):
        return []
    return [_tagged(error, subgraph) for error in errors if isinstance(error, Mapping)]


def entity_errors(
    errors: Any, targets: list[list[dict[str, Any]]], paths: dict[int, Path], subgraph: str
) -> list[dict[str, Any]]:
    """``_entities.<i>.rest`` becomes ``<response path of entity i>.rest``."""
    if not isinstance(errors, list):
        return []
    result = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        path = error.get("path")
        rewritten = _tagged(error, subgraph)
        if (
            isinstance(path, list)
            and len(path) >= 2
            and path[0] == "_entities"
            and isinstance(path[1], int)
        ):
            at = paths.get(id(targets[path[1]][0])) if path[1] < len(targets) else None
            if at is not None:
                rewritten["path"] = [*at, *path[2:]]
            else:
                rewritten.pop("path", None)
        else:
            rewritten.pop("path", None)
        result.append(rewritten)
    return result


def _tagged(error: Mapping[str, Any], subgraph: str) -> dict[str, Any]:
    tagged = dict(error)
    extensions = dict(tagged.get("extensions") or {})
    extensions.setdefault("serviceName", subgraph)
    tagged["extensions"] = extensions
    tagged.pop("locations", None)
    return tagged
