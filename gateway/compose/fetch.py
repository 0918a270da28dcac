"""Subgraph SDL fetched for a config entry: from a file, an in-process schema, or over HTTP.

Over HTTP with aiohttp, the client the gateway's transports use, so the runtime needs one
HTTP client library; ``loopgate compose`` is synchronous, so each fetch runs its own loop.
"""

import asyncio
import importlib
import sys
from pathlib import Path
from typing import Any

import aiohttp
from graphql import GraphQLSchema, print_schema

from gateway.compose.config import ConfigError, SubgraphSpec
from gateway.compose.source import SubgraphSource

SERVICE_QUERY = "{ _service { sdl } }"


def load_source(spec: SubgraphSpec, timeout: float = 10.0) -> SubgraphSource:
    if spec.sdl_file is not None:
        try:
            return SubgraphSource(spec.name, spec.sdl_file.read_text(), spec.url,
                                  str(spec.sdl_file))
        except OSError as exc:
            raise ConfigError(f"subgraph {spec.name!r}: cannot read {spec.sdl_file} "
                              f"({exc.strerror})") from exc
    if spec.module is not None:
        _make_importable([spec.base_dir, Path.cwd()])
        return source_from_schema(spec.name, _import(spec.name, spec.module), spec.url,
                                  spec.module)
    assert spec.introspect_url is not None
    return SubgraphSource(spec.name, introspect(spec.name, spec.introspect_url, timeout),
                          spec.url, spec.introspect_url)


def source_from_schema(name: str, schema: Any, url: str = "", origin: str | None = None
                       ) -> SubgraphSource:
    """A subgraph from an in-process schema: a Strawberry federation schema (asked for its
    ``_service { sdl }``), a graphql-core schema, or an SDL string."""
    if isinstance(schema, str):
        return SubgraphSource(name, schema, url, origin)
    if hasattr(schema, "execute_sync"):
        result = schema.execute_sync(SERVICE_QUERY)
        if result.errors or not result.data:
            raise ConfigError(f"subgraph {name!r}: {origin or 'schema'} did not answer "
                              f"{SERVICE_QUERY} (is it a strawberry.federation.Schema?)")
        return SubgraphSource(name, result.data["_service"]["sdl"], url, origin)
    if isinstance(schema, GraphQLSchema):
        return SubgraphSource(name, print_schema(schema), url, origin)
    raise ConfigError(f"subgraph {name!r}: {origin or 'object'} is a {type(schema).__name__}, "
                      "not a Strawberry schema, graphql-core schema or SDL string")


def introspect(name: str, url: str, timeout: float = 10.0) -> str:
    """``{ _service { sdl } }`` from a running subgraph."""
    try:
        payload = asyncio.run(_post_query(url, timeout))
        return payload["data"]["_service"]["sdl"]
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise ConfigError(f"subgraph {name!r}: fetching {SERVICE_QUERY} from {url} failed: "
                          f"{reason}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"subgraph {name!r}: {url} did not answer {SERVICE_QUERY} with an "
                          "SDL (is it a federation subgraph?)") from exc


async def _post_query(url: str, timeout_s: float) -> Any:
    """The JSON answer to ``SERVICE_QUERY``; ClientResponseError for a non-2xx status."""
    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http,
                http.post(url, json={"query": SERVICE_QUERY}, raise_for_status=True) as answer):
        return await answer.json(content_type=None)


def _make_importable(directories: list[Path | None]) -> None:
    """Modules next to the config (or in the working directory) import like in a project."""
    for directory in directories:
        if directory is not None and str(directory.resolve()) not in sys.path:
            sys.path.append(str(directory.resolve()))


def _import(name: str, reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    if not attribute:
        raise ConfigError(f"subgraph {name!r}: module {reference!r} must be "
                          "`package.module:attribute`")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"subgraph {name!r}: cannot import {module_name!r} ({exc})") from exc
    try:
        return getattr(module, attribute)
    except AttributeError as exc:
        raise ConfigError(f"subgraph {name!r}: {module_name!r} has no attribute "
                          f"{attribute!r}") from exc
