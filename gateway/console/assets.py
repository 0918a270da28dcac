"""The console's own static files (``gateway/console/static/``), served by Loopgate.

Like GraphiQL's files (:mod:`gateway.http.graphiql`), each is read once and served from memory
under a content-addressed URL, ``/console/static/<digest>/<name>``, cacheable for a year. No
file comes from a CDN: the console works offline and no third-party script runs beside a
session. A console subpackage with a ``static/`` folder of its own (``merchant/static/``) has
its files served the same way; names are unique across the folders.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from starlette.routing import Route

from gateway.http.static_files import StaticFile, static_route

STATIC_PREFIX = "/console/static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".svg": "image/svg+xml"}


def _static_files() -> Iterator[Traversable]:
    root = files(__package__)
    folders = [root.joinpath("static"),
               *(child.joinpath("static") for child in root.iterdir() if child.is_dir())]
    for folder in folders:
        if folder.is_dir():
            yield from folder.iterdir()


@cache
def assets() -> dict[str, StaticFile]:
    """Every file of the static folders, by name."""
    loaded: dict[str, StaticFile] = {}
    for entry in _static_files():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if not entry.is_file() or suffix not in MEDIA_TYPES:
            continue
        if entry.name in loaded:
            raise ValueError(f"two console static files are named {entry.name}")
        loaded[entry.name] = StaticFile.of(STATIC_PREFIX, entry.name, MEDIA_TYPES[suffix],
                                           entry.read_bytes())
    return loaded


def asset_url(name: str) -> str:
    """The URL of a static file; a missing file is a programming error (KeyError)."""
    return assets()[name].url


def asset_routes() -> list[Route]:
    return [static_route(STATIC_PREFIX, assets, "no such console file")]
