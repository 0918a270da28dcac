"""The subgraph list ``loopgate compose`` reads: YAML or JSON, a list or a name-keyed mapping.

    subgraphs:
      - name: stores
        module: schema.stores.subgraph:schema   # in-process Strawberry schema
      - name: partner
        url: https://partner.example/graphql    # routing URL
        sdl: partner.graphql                    # relative to this file
      - name: remote
        url: https://remote.example/graphql
        introspect: true                        # fetch { _service { sdl } } from url

Rover's ``supergraph.yaml`` spelling (``routing_url``, ``schema: {file | subgraph_url}``) is
accepted too, so an existing Rover config works unchanged.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """The config cannot be used; the message names the file and the subgraph entry."""


@dataclass(frozen=True)
class SubgraphSpec:
    """One entry of the config: where the subgraph's SDL comes from, and its routing URL."""

    name: str
    url: str = ""
    sdl_file: Path | None = None
    module: str | None = None
    introspect_url: str | None = None
    base_dir: Path | None = None


def read_config(path: Path) -> list[SubgraphSpec]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config ({exc.strerror})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                          f"{exc}") from exc
    entries = data.get("subgraphs") if isinstance(data, dict) else None
    if isinstance(entries, dict):
        entries = [{"name": name, **(entry or {})} for name, entry in entries.items()]
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: expected a non-empty `subgraphs:` list (each with a name)")
    return [_spec(path, index, entry) for index, entry in enumerate(entries)]


def _spec(path: Path, index: int, entry: Any) -> SubgraphSpec:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ConfigError(f"{path}: subgraph #{index + 1} needs a `name`")
    name = entry["name"]
    schema = entry.get("schema") or {}
    url = entry.get("url") or entry.get("routing_url") or ""
    sdl = entry.get("sdl") or entry.get("file") or schema.get("file")
    introspect = schema.get("subgraph_url") or (url if entry.get("introspect") else None)
    sources = [s for s in (sdl, entry.get("module"), introspect) if s]
    if len(sources) != 1:
        raise ConfigError(f"{path}: subgraph {name!r} needs exactly one of `sdl: FILE`, "
                          "`module: package.module:attribute` or `introspect: true` (with `url`)")
    if entry.get("introspect") and not url:
        raise ConfigError(f"{path}: subgraph {name!r} has `introspect: true` but no `url`")
    return SubgraphSpec(name, str(url), (path.parent / sdl) if sdl else None,
                        entry.get("module"), introspect, path.parent)
