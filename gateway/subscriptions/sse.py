"""GraphQL over Server-Sent Events: the graphql-sse protocol's distinct connections mode.

``POST /graphql/stream`` (or ``GET`` with the query string ``/graphql`` takes) with
``Accept: text/event-stream`` and the caller's ``Authorization`` header: one subscription per
connection. Each event's response is a ``next`` event (``data``: the GraphQL response, its
``extensions.eventId`` the id to resume ``after``; the SSE ``id`` is that id too) and the
stream ends with a ``complete`` event. A comment line every 15 s keeps proxies from closing
an idle stream. When the token expires the last ``next`` carries an UNAUTHENTICATED error.

A request that cannot start is answered as ``/graphql`` answers a refused request: an HTTP
status (400 bad request or operation, 401 bad token, 403 a field or resource the token may
not see, 406 not asking for an event stream, 429 over a limit) with a JSON body of errors,
each with ``extensions.code``.
"""

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.http.errors import RequestRejected
from gateway.http.request import from_post, from_query_params, read_body
from gateway.service import GraphQLRequest
from gateway.subscriptions.errors import Refused, error
from gateway.subscriptions.pump import pump
from gateway.subscriptions.service import Started, Subscriptions
from gateway.subscriptions.session import Session
from schema.kernel.errors import ErrorCode

_log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
_KEEPALIVE = b": keep-alive\n\n"


class SseEndpoint:
    """The Starlette handler of ``/graphql/stream``."""

    def __init__(self, subscriptions: Subscriptions) -> None:
        self.subscriptions = subscriptions

    async def handle(self, request: Request) -> Response:
        if EVENT_STREAM not in (request.headers.get("accept") or ""):
            return _json(406, [error("this endpoint streams text/event-stream: send "
                                     "Accept: text/event-stream", ErrorCode.BAD_USER_INPUT)])
        try:
            graphql_request = await self._decode(request)
            session = await self.subscriptions.session(request)
        except RequestRejected as rejected:
            return _json(rejected.status, [error(rejected.message, rejected.code)],
                         rejected.headers)
        try:
            started = await self.subscriptions.start(request, session, graphql_request)
        except Refused as refused:
            return _json(refused.status, refused.errors, refused.headers())
        return StreamingResponse(_events(started, session), media_type=EVENT_STREAM,
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    async def _decode(self, request: Request) -> GraphQLRequest:
        if request.method == "GET":
            return from_query_params(dict(request.query_params))
        body = await read_body(request, self.subscriptions.max_body_bytes)
        return from_post(request.headers.get("content-type"), body)


async def _events(started: Started, session: Session) -> AsyncIterator[bytes]:
    try:
        async for delivery in pump(started.deliveries, session):
            if delivery is None:
                yield _KEEPALIVE
                continue
            yield _next(delivery.response, delivery.event_id)
    except Refused as refused:
        yield _next({"errors": refused.errors}, None)
    except Exception:
        _log.exception("a subscription stream failed")
        yield _next({"errors": [error("the subscription failed inside the gateway",
                                      ErrorCode.INTERNAL_SERVER_ERROR)]}, None)
    finally:
        started.release()
    yield b"event: complete\ndata:\n\n"


def _next(response: Mapping[str, Any], event_id: str | None) -> bytes:
    body = dict(response)
    if event_id is not None:
        body["extensions"] = {**body.get("extensions", {}), "eventId": event_id}
    head = f"id: {event_id}\n".encode() if event_id is not None else b""
    return head + b"event: next\ndata: " + orjson.dumps(body) + b"\n\n"


def _json(status: int, errors: list[dict[str, Any]],
          headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps({"errors": errors}), status, headers=dict(headers or {}),
                    media_type="application/json; charset=utf-8")
