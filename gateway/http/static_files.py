"""Files Loopgate serves itself from memory under content-addressed URLs
(``<prefix>/<digest>/<name>``): GraphiQL's (:mod:`gateway.http.graphiql`) and the console's
(:mod:`gateway.console.assets`). New contents get a new URL, so each may be cached for a year;
no page loads anything from a CDN."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_CACHE_FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One file: its bytes, gzipped bytes and content digest, and its URL under ``prefix``."""

    prefix: str
    name: str
    media_type: str
    body: bytes
    gzipped: bytes
    digest: str

    @classmethod
    def of(cls, prefix: str, name: str, media_type: str, body: bytes) -> StaticFile:
        return cls(prefix, name, media_type, body, gzip.compress(body, mtime=0),
                   hashlib.sha256(body).hexdigest())

    @property
    def url(self) -> str:
        return f"{self.prefix}/{self.digest[:16]}/{self.name}"


def static_route(prefix: str, files: Callable[[], Mapping[str, StaticFile]],
                 missing: str) -> Route:
    """``GET <prefix>/{digest}/{name}``: the file when its digest matches (gzipped when the
    client takes it), else 404 with ``missing``."""

    async def serve(request: Request) -> Response:
        found = files().get(request.path_params["name"])
        if found is None or request.path_params["digest"] != found.digest[:16]:
            return Response(missing, status_code=404, media_type="text/plain")
        headers = {"Cache-Control": _CACHE_FOREVER, "Vary": "Accept-Encoding",
                   "X-Content-Type-Options": "nosniff"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(found.gzipped, media_type=found.media_type,
                            headers={**headers, "Content-Encoding": "gzip"})
        return Response(found.body, media_type=found.media_type, headers=headers)

    return Route(prefix + "/{digest}/{name}", serve, methods=["GET"])
