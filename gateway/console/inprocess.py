"""Calling this very app from a console handler, without a network hop.

:func:`call` buffers the whole answer (``/oauth/token``, ``/graphql``); :func:`stream` passes
a streaming answer through as it comes (``/graphql/stream``'s server-sent events), and tells
the inner request the browser went away when it does, so the subscription ends with it.

The console talks to ``/oauth/token`` and ``/graphql`` exactly as an outside client would (same
token checks, scopes, limits, usage counts), but through the ASGI app object itself: no
socket, and no need to know the public URL it is reached by (behind a proxy, the issuer may
not be reachable from the server). Only the request line, headers and body are synthesised;
the caller's address is passed on, so per-address limits still see the browser.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Scope


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


def _scope(request: Request, method: str, path: str, body: bytes,
           headers: dict[str, str]) -> Scope:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": request.url.scheme, "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "server": request.scope.get("server"),
        "client": request.scope.get("client"),
        "headers": [(k.lower().encode(), v.encode()) for k, v in
                    {**headers, "host": request.headers.get("host", "localhost"),
                     "content-length": str(len(body))}.items()],
    }


async def call(request: Request, method: str, path: str, body: bytes,
               headers: dict[str, str]) -> Answer:
    """``method path`` on ``request``'s app with ``body``; the whole response, buffered."""
    app: ASGIApp = request.scope["app"]
    scope = _scope(request, method, path, body, headers)
    sent = False
    done = asyncio.Event()
    status = 500
    chunks: list[bytes] = []

    async def receive() -> Message:
        # after the body, the "client" stays connected until the response is complete: an
        # early disconnect would make a streaming response stop short
        nonlocal sent
        if sent:
            await done.wait()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return Answer(status, b"".join(chunks))


async def post_json(request: Request, path: str, payload: Any,
                    headers: dict[str, str]) -> Answer:
    return await call(request, "POST", path, orjson.dumps(payload),
                      {"content-type": "application/json", "accept": "application/json",
                       **headers})


async def stream(request: Request, method: str, path: str, body: bytes,
                 headers: dict[str, str]) -> Response:
    """``method path`` on ``request``'s app, its body streamed back chunk by chunk with the
    inner status and content type; the inner request ends when the outer one does."""
    app: ASGIApp = request.scope["app"]
    scope = _scope(request, method, path, body, headers)
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
    started: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
    gone = asyncio.Event()
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await gone.wait()
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            kinds = [v.decode() for k, v in message.get("headers", []) if k == b"content-type"]
            started.set_result((message["status"], kinds[0] if kinds else "text/plain"))
        elif message["type"] == "http.response.body":
            chunks.put_nowait(message.get("body", b""))
            if not message.get("more_body", False):
                chunks.put_nowait(None)

    async def run() -> None:
        try:
            await app(scope, receive, send)
        finally:
            chunks.put_nowait(None)
            if not started.done():
                started.set_result((500, "text/plain"))

    task = asyncio.create_task(run())
    status, media_type = await started

    async def body_chunks() -> AsyncIterator[bytes]:
        try:
            while (chunk := await chunks.get()) is not None:
                yield chunk
        finally:
            gone.set()
            await task

    return StreamingResponse(body_chunks(), status_code=status, media_type=media_type,
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
