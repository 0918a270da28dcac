"""Entity fetch plumbing: finding objects at a path, representations, merging answers."""

from collections.abc import Mapping
from typing import Any

import orjson

from ..plan import ContextRewrite, EntityInputSpec, InputField, Rename

Path = tuple[str | int, ...]


def collect(data: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """Objects at ``path`` in the merged response (lists flattened, type filters applied).

    Level by level, one pass per path segment over the objects found so far (every object
    sits at the same depth, so the order is the depth-first one): no call per object.
    """
    level: list[dict[str, Any]] = []
    _objects(data, level)
    for segment in path:
        if segment == "@":
            continue
        if segment[0] == "|":
            names = segment[2:-1].split(",")
            level = [obj for obj in level if obj.get("__typename") in names]
            continue
        deeper: list[dict[str, Any]] = []
        for obj in level:
            value = obj.get(segment)
            if type(value) is dict:
                deeper.append(value)
            elif type(value) is list:
                items = [item for item in value if type(item) is dict]
                if len(items) == len(value):  # a list of objects: no call per item
                    deeper += items
                else:
                    _objects(value, deeper)
            elif value is not None:
                _objects(value, deeper)
        level = deeper
    return level


def _objects(value: Any, into: list[dict[str, Any]]) -> None:
    """The dicts in ``value`` (itself, or inside lists at any depth), in order."""
    if isinstance(value, dict):
        into.append(value)
    elif isinstance(value, list):
        for item in value:
            if type(item) is dict:
                into.append(item)
            elif isinstance(item, list | dict):
                _objects(item, into)


def context_batches(
    data: Any, path: tuple[str, ...], contexts: tuple[ContextRewrite, ...]
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Objects at ``path`` grouped by their ``@fromContext`` values (variable → value).

    Each object's values are read from its enclosing objects; objects sharing them share an
    ``_entities`` field (a variable holds one value; see :mod:`.contextual`).
    """
    batches: dict[bytes, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    found: list[tuple[dict[str, Any], tuple[dict[str, Any], ...]]] = []
    _collect_enclosed(data, path, 0, (), found)
    for obj, enclosing in found:
        values = {context.variable: _context_value(enclosing, context) for context in contexts}
        marker = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
        batch = batches.get(marker)
        if batch is None:
            batches[marker] = (values, [obj])
        else:
            batch[1].append(obj)
    return list(batches.values())


def _collect_enclosed(
    value: Any,
    path: tuple[str, ...],
    index: int,
    enclosing: tuple[dict[str, Any], ...],
    found: list[tuple[dict[str, Any], tuple[dict[str, Any], ...]]],
) -> None:
    """Like :func:`collect`, keeping the objects each found object sits in (outermost first)."""
    if isinstance(value, list):
        for item in value:
            _collect_enclosed(item, path, index, enclosing, found)
        return
    if not isinstance(value, dict):
        return
    while index < len(path) and path[index] == "@":
        index += 1
    if index == len(path):
        found.append((value, enclosing))
        return
    segment = path[index]
    if segment[0] == "|":
        if value.get("__typename") in segment[2:-1].split(","):
            _collect_enclosed(value, path, index + 1, enclosing, found)
        return
    _collect_enclosed(value.get(segment), path, index + 1, (*enclosing, value), found)


def _context_value(enclosing: tuple[dict[str, Any], ...], context: ContextRewrite) -> Any:
    if context.levels > len(enclosing):
        return None
    source = enclosing[-context.levels]
    for item in context.fields:
        if item.key in source:
            value = source[item.key]
            return _copy_value(value, item.children) if item.children is not None else value
    return None


def response_paths(data: Any, path: tuple[str, ...]) -> dict[int, Path]:
    """``id(object)`` → response path of each object at ``path``; only computed for errors."""
    found: dict[int, Path] = {}
    _paths(data, path, 0, (), found)
    return found


def _paths(value: Any, path: tuple[str, ...], index: int, at: Path, found: dict[int, Path]) -> None:
    if isinstance(value, list):
        for position, item in enumerate(value):
            _paths(item, path, index, (*at, position), found)
        return
    if not isinstance(value, dict):
        return
    while index < len(path) and path[index] == "@":
        index += 1
    if index == len(path):
        found.setdefault(id(value), at)
        return
    segment = path[index]
    if segment[0] == "|":
        _paths(value, path, index + 1, at, found)
        return
    _paths(value.get(segment), path, index + 1, (*at, segment), found)


def representations(
    objects: list[dict[str, Any]], inputs: Mapping[str, EntityInputSpec]
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """De-duplicated representations, and for each the response objects it stands for."""
    if len(inputs) == 1:
        ((typename, only),) = inputs.items()
        if only.lone_key is not None:
            return _lone_key_representations(objects, typename, only.typename, only.lone_key)
    reps: list[dict[str, Any]] = []
    targets: list[list[dict[str, Any]]] = []
    seen: dict[bytes, int] = {}
    for obj in objects:
        spec = inputs.get(obj.get("__typename"))  # type: ignore[arg-type]
        if spec is None:
            continue
        for name in spec.key_names:
            if obj.get(name) is None:
                break
        else:
            rep = {"__typename": spec.typename}
            for item in spec.fields:  # _copy, inlined: this loop runs per entity
                if item.key in obj:
                    value = obj[item.key]
                    rep[item.name] = (value if item.children is None
                                      else _copy_value(value, item.children))
            marker = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
            index = seen.get(marker)
            if index is None:
                seen[marker] = len(reps)
                reps.append(rep)
                targets.append([obj])
            else:
                targets[index].append(obj)
    return reps, targets


def _lone_key_representations(
    objects: list[dict[str, Any]], typename: str, rep_typename: str, key: str
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """:func:`representations` of one typename whose representation is ``{__typename, key}``.

    Two such representations are equal when their key values are: a string value is its own
    marker (no JSON per entity); any other is marked by its JSON, which no string equals.
    """
    reps: list[dict[str, Any]] = []
    targets: list[list[dict[str, Any]]] = []
    seen: dict[str | bytes, int] = {}
    for obj in objects:
        if obj.get("__typename") != typename:
            continue
        value = obj.get(key)
        if value is None:
            continue
        marker = value if type(value) is str else orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        index = seen.get(marker)
        if index is None:
            seen[marker] = len(reps)
            reps.append({"__typename": rep_typename, key: value})
            targets.append([obj])
        else:
            targets[index].append(obj)
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


def merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Deep-merge a subgraph's answer into the response tree, without copying what's new."""
    for key, value in source.items():
        existing = target.get(key)
        if existing is None:  # the usual case: a field this answer adds
            target[key] = value
        elif isinstance(existing, dict) and isinstance(value, dict):
            merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            for index, item in enumerate(value):
                if isinstance(existing[index], dict) and isinstance(item, dict):
                    merge(existing[index], item)
                else:
                    existing[index] = item
        else:
            target[key] = value


def merge_entities(entities: list[Any], targets: list[list[dict[str, Any]]]) -> None:
    """Merge each ``_entities`` answer into every response object its representation stands
    for (answers past the representations sent, or not objects, are ignored)."""
    for index in range(min(len(entities), len(targets))):
        entity = entities[index]
        if isinstance(entity, dict):
            for obj in targets[index]:
                merge(obj, entity)


def apply_renames(value: Any, renames: tuple[Rename, ...]) -> None:
    """Move aliased conflicting fields back to their response keys (deepest paths first)."""
    for rename in renames:
        for obj in collect(value, rename.path):
            if obj.get("__typename") == rename.typename and rename.alias in obj:
                obj[rename.key] = obj.pop(rename.alias)
