"""ASGI middleware for a subgraph served over HTTP: no valid context token, no call.

It verifies the ``Loopgate-Context`` header and puts the principal (``None`` for an
anonymous caller) in ``scope["state"]["principal"]``, where the subgraph's context getter reads
it (``request.state.principal`` in Starlette). Anything else gets a 401 GraphQL error
response with ``extensions.code`` ``UNAUTHENTICATED``.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from auth.context import CONTEXT_HEADER, ContextTokenVerifier
from auth.errors import AuthError

_HEADER_KEY = CONTEXT_HEADER.lower().encode()


class RequireContextToken:
    """Refuses HTTP requests without a valid context token; lifespan and others pass."""

    def __init__(self, app: ASGIApp, verifier: ContextTokenVerifier,
                 exempt_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.verifier = verifier
        self.exempt_paths = exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(_HEADER_KEY)
        try:
            principal = await self.verifier.verify(raw.decode("latin-1") if raw else None)
        except AuthError as exc:
            await _refuse(send, exc)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def _refuse(send: Send, error: AuthError) -> None:
    body = json.dumps({"errors": [error.to_graphql_error().formatted]}).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
