"""Entity fetch plumbing: finding objects at a path, representations, merging answers."""

from collections.abc import Mapping
from typing import Any

import orjson

from ..plan import EntityInputSpec, InputField

Path = tuple[str | int, ...]


def collect(data: Any, path: tuple[str, ...]) -> list[tuple[dict[str, Any], Path]]:
    """Objects at ``path`` in the merged response, with their concrete response paths."""
    found: list[tuple[dict[str, Any], Path]] = []
    _collect(data, path, 0, (), found)
    return found


def _collect(
    value: Any,
    path: tuple[str, ...],
    index: int,
    at: Path,
    found: list[tuple[dict[str, Any], Path]],
) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for position, item in enumerate(value):
            _collect(item, path, index, (*at, position), found)
        return
    if not isinstance(value, dict):
        return
    while index < len(path) and path[index] == "@":
        index += 1
    if index == len(path):
        found.append((value, at))
        return
    segment = path[index]
    if segment.startswith("|["):
        if value.get("__typename") in segment[2:-1].split(","):
            _collect(value, path, index + 1, at, found)
        return
    _collect(value.get(segment), path, index + 1, (*at, segment), found)


def representations(
    objects: list[tuple[dict[str, Any], Path]], inputs: Mapping[str, EntityInputSpec]
) -> tuple[list[dict[str, Any]], list[list[tuple[dict[str, Any], Path]]]]:
    """De-duplicated representations, and for each the response objects it stands for."""
    reps: list[dict[str, Any]] = []
    targets: list[list[tuple[dict[str, Any], Path]]] = []
    seen: dict[bytes, int] = {}
    for obj, at in objects:
        spec = inputs.get(obj.get("__typename"))  # type: ignore[arg-type]
        if spec is None:
            continue
        if any(obj.get(name) is None for name in spec.key_names):
            continue
        rep = {"__typename": spec.typename}
        _copy(obj, spec.fields, rep)
        marker = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
        index = seen.get(marker)
        if index is None:
            seen[marker] = len(reps)
            reps.append(rep)
            targets.append([(obj, at)])
        else:
            targets[index].append((obj, at))
    return reps, targets


def _copy(source: Mapping[str, Any], fields: tuple[InputField, ...], out: dict[str, Any]) -> None:
    for item in fields:
        if item.key not in source:
            continue
        value = source[item.key]
        out[item.name] = _copy_value(value, item.children) if item.children is not None else value


def _copy_value(value: Any, children: tuple[InputField, ...]) -> Any:
    if isinstance(value, list):
        return [_copy_value(item, children) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    if "__typename" in value:
        out["__typename"] = value["__typename"]
    _copy(value, children, out)
    return out


def merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Deep-merge a subgraph's answer into the response tree, without copying what's new."""
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            for index, item in enumerate(value):
                if isinstance(existing[index], dict) and isinstance(item, dict):
                    merge(existing[index], item)
                else:
                    existing[index] = item
        else:
            target[key] = value
