"""GraphiQL: the page served on ``GET /graphql`` to browsers, and the files it loads.

Loopgate serves GraphiQL itself, so the page works with no internet and no third-party origin
runs script next to a partner's token. The built files come from a PyPI wheel,
``graphene-django-graphiql-static`` (a dependency, so ``pip install`` brings them and no Node
step is needed anywhere): it ships GraphiQL 2.4.7 and React 17.0.2 byte for byte as published
on npm (plus a final newline); only those static files are read, its Django code is never
imported. ``tests/gateway/test_graphiql.py`` pins their digests, so a changed wheel is noticed.

Each file is read once and served from memory under a content-addressed URL,
``/graphiql/<digest>/<name>``: it may be cached for a year, since new contents get a new URL.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ASSET_PACKAGE = "graphene_django_graphiql_static"
ASSET_NAMES = {
    "graphiql.min.css": "text/css; charset=utf-8",
    "react.production.min.js": "text/javascript; charset=utf-8",
    "react-dom.production.min.js": "text/javascript; charset=utf-8",
    "graphiql.min.js": "text/javascript; charset=utf-8",
}
_CACHE_FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Asset:
    """One file the page loads: its bytes, gzipped bytes and content digest."""

    name: str
    media_type: str
    body: bytes
    gzipped: bytes
    digest: str

    @property
    def path(self) -> str:
        return f"/graphiql/{self.digest[:16]}/{self.name}"


@cache
def assets() -> dict[str, Asset]:
    """The GraphiQL and React files, by name, read from the installed wheel."""
    folder = files(ASSET_PACKAGE).joinpath("static", ASSET_PACKAGE)
    loaded = {}
    for name, media_type in ASSET_NAMES.items():
        body = folder.joinpath(name).read_bytes()
        loaded[name] = Asset(name, media_type, body, gzip.compress(body, mtime=0),
                             hashlib.sha256(body).hexdigest())
    return loaded


@cache
def graphiql_page(endpoint: str) -> str:
    """The HTML page, with ``endpoint`` (a URL path) as the fetcher's URL.

    Asset URLs sit beside the endpoint (``/graphql`` → ``/graphiql/…``), so an app mounted
    under a prefix still finds them.
    """
    prefix = endpoint.rsplit("/", 1)[0]
    page = files(__package__).joinpath("graphiql.html").read_text(encoding="utf-8")
    for name, asset in assets().items():
        page = page.replace(f"__{name}__", prefix + asset.path)
    return page.replace("__ENDPOINT__", json.dumps(endpoint).replace("</", "<\\/"))


async def _serve_asset(request: Request) -> Response:
    asset = assets().get(request.path_params["name"])
    if asset is None or request.path_params["digest"] != asset.digest[:16]:
        return Response("no such GraphiQL file", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": _CACHE_FOREVER, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type=asset.media_type,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def graphiql_routes() -> list[Route]:
    """The route serving the page's files; mount it beside the GraphQL route."""
    return [Route("/graphiql/{digest}/{name}", _serve_asset, methods=["GET"])]
