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

import json
from functools import cache
from importlib.resources import files

from starlette.routing import Route

from gateway.http.static_files import StaticFile, static_route

ASSET_PACKAGE = "graphene_django_graphiql_static"
PREFIX = "/graphiql"
ASSET_NAMES = {
    "graphiql.min.css": "text/css; charset=utf-8",
    "react.production.min.js": "text/javascript; charset=utf-8",
    "react-dom.production.min.js": "text/javascript; charset=utf-8",
    "graphiql.min.js": "text/javascript; charset=utf-8",
}
@cache
def assets() -> dict[str, StaticFile]:
    """The GraphiQL and React files, by name, read from the installed wheel."""
    folder = files(ASSET_PACKAGE).joinpath("static", ASSET_PACKAGE)
    return {name: StaticFile.of(PREFIX, name, media_type, folder.joinpath(name).read_bytes())
            for name, media_type in ASSET_NAMES.items()}


@cache
def graphiql_page(endpoint: str) -> str:
    """The HTML page, with ``endpoint`` (a URL path) as the fetcher's URL.

    Asset URLs sit beside the endpoint (``/graphql`` → ``/graphiql/…``), so an app mounted
    under a prefix still finds them.
    """
    prefix = endpoint.rsplit("/", 1)[0]
    page = files(__package__).joinpath("graphiql.html").read_text(encoding="utf-8")
    for name, asset in assets().items():
        page = page.replace(f"__{name}__", prefix + asset.url)
    return page.replace("__ENDPOINT__", json.dumps(endpoint).replace("</", "<\\/"))


def graphiql_routes() -> list[Route]:
    """The route serving the page's files; mount it beside the GraphQL route."""
    return [static_route(PREFIX, assets, "no such GraphiQL file")]
