"""The console's own static files (``gateway/console/static/``), served by Loopgate.

Like GraphiQL's files (:mod:`gateway.http.graphiql`), each is read once and served from memory
under a content-addressed URL, ``/console/static/<digest>/<name>``, cacheable for a year. No
file comes from a CDN: the console works offline and no third-party script runs beside a
session. A console subpackage with a ``static/`` folder of its own (``merchant/static/``) has
its files served the same way; names are unique across the folders.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATIC_PREFIX = "/console/static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".svg": "image/svg+xml"}
_CACHE_FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    media_type: str
    body: bytes
    gzipped: bytes
    digest: str

    @property
    def url(self) -> str:
        return f"{STATIC_PREFIX}/{self.digest[:16]}/{self.name}"


def _static_files() -> Iterator[Traversable]:
    root = files(__package__)
    folders = [root.joinpath("static"),
               *(child.joinpath("static") for child in root.iterdir() if child.is_dir())]
    for folder in folders:
        if folder.is_dir():
            yield from folder.iterdir()


@cache
def assets() -> dict[str, Asset]:
    """Every file of the static folders, by name."""
    loaded: dict[str, Asset] = {}
    for entry in _static_files():
        suffix = "." + entry.name.rsplit(".", 1)[-1]
        if not entry.is_file() or suffix not in MEDIA_TYPES:
            continue
        if entry.name in loaded:
            raise ValueError(f"two console static files are named {entry.name}")
        body = entry.read_bytes()
        loaded[entry.name] = Asset(entry.name, MEDIA_TYPES[suffix], body,
                                   gzip.compress(body, mtime=0), hashlib.sha256(body).hexdigest())
    return loaded


def asset_url(name: str) -> str:
    """The URL of a static file; a missing file is a programming error (KeyError)."""
    return assets()[name].url


async def _serve(request: Request) -> Response:
    asset = assets().get(request.path_params["name"])
    if asset is None or request.path_params["digest"] != asset.digest[:16]:
        return Response("no such console file", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": _CACHE_FOREVER, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type=asset.media_type,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def asset_routes() -> list[Route]:
    return [Route(STATIC_PREFIX + "/{digest}/{name}", _serve, methods=["GET"])]
