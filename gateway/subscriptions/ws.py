"""GraphQL over WebSocket: the graphql-transport-ws protocol (``ws://…/graphql``).

The client asks for the ``graphql-transport-ws`` subprotocol (else the socket closes with
4406), sends ``connection_init`` within :data:`INIT_TIMEOUT_S` (else 4408), once (a second:
4429), with ``payload: {"Authorization": "Bearer …"}`` or the handshake's ``Authorization``
header; a bad token closes the socket with 4403, a good one gets ``connection_ack``. Then
any number of ``subscribe`` messages, each with its own ``id`` (a ``subscribe`` before the
ack: 4401; an id already running: 4409), answered by ``next`` messages, and ``complete``
when the stream ends; a refused subscription gets one ``error`` message with its GraphQL
errors. ``complete`` from the client stops one; ``ping`` gets ``pong``. A message that is not
one of these (bad JSON, unknown type, missing fields) closes the socket with 4400.

The token is the connection's: when it expires every running subscription gets an ``error``
(UNAUTHENTICATED), and so does any later ``subscribe``; the client opens a new connection
with a fresh token and subscribes ``after`` the last event it saw.
"""

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from gateway.http.errors import RequestRejected
from gateway.service import GraphQLRequest
from gateway.subscriptions.errors import Refused, error
from gateway.subscriptions.pump import pump
from gateway.subscriptions.service import Subscriptions
from gateway.subscriptions.session import Session, request_with
from schema.kernel.errors import ErrorCode

_log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT_S = 10.0


class ProtocolViolation(Exception):
    """The client broke the protocol: close with ``code`` and ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class WsEndpoint:
    """The Starlette WebSocket handler."""

    def __init__(self, subscriptions: Subscriptions,
                 init_timeout_s: float = INIT_TIMEOUT_S) -> None:
        self.subscriptions = subscriptions
        self.init_timeout_s = init_timeout_s

    async def handle(self, websocket: WebSocket) -> None:
        offered = websocket.scope.get("subprotocols") or []
        if PROTOCOL not in offered:
            await websocket.accept()
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        connection = _Connection(self.subscriptions, websocket)
        try:
            await connection.serve(self.init_timeout_s)
        except ProtocolViolation as violation:
            await connection.close(violation.code, violation.reason)
        except WebSocketDisconnect:
            pass
        finally:
            await connection.stop_all()


class _Connection:
    def __init__(self, subscriptions: Subscriptions, websocket: WebSocket) -> None:
        self.subscriptions = subscriptions
        self.websocket = websocket
        self.session: Session | None = None
        self.request: Request | None = None
        self.running: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()

    async def serve(self, init_timeout_s: float) -> None:
        try:
            first = await asyncio.wait_for(self._receive(), init_timeout_s)
        except TimeoutError as exc:
            raise ProtocolViolation(4408, "Connection initialisation timeout") from exc
        await self._handle(first)
        while True:
            await self._handle(await self._receive())

    async def _receive(self) -> dict[str, Any]:
        received = await self.websocket.receive()
        if received["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(received.get("code", 1000))
        text = received.get("text")
        if text is None:
            raise ProtocolViolation(4400, "Invalid message received: not a text frame")
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ProtocolViolation(4400, "Invalid message received: not JSON") from exc
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise ProtocolViolation(4400, "Invalid message received: no type")
        return message

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._init(message.get("payload"))
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            await self._complete(message)
        else:
            raise ProtocolViolation(4400, f"Invalid message received: unknown type '{kind}'")

    async def _init(self, payload: object) -> None:
        if self.session is not None:
            raise ProtocolViolation(4429, "Too many initialisation requests")
        if payload is not None and not isinstance(payload, dict):
            raise ProtocolViolation(4400, "Invalid message received: payload is not an object")
        authorization = _authorization(payload or {}) or self.websocket.headers.get(
            "authorization")
        request = request_with(self.websocket, authorization)
        try:
            session = await self.subscriptions.session(request)
        except RequestRejected as rejected:
            raise ProtocolViolation(4403, f"Forbidden: {rejected.message}") from rejected
        self.session, self.request = session, request
        await self.send({"type": "connection_ack"})

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if self.session is None or self.request is None:
            raise ProtocolViolation(4401, "Unauthorized")
        ident, payload = message.get("id"), message.get("payload")
        if not isinstance(ident, str) or not ident:
            raise ProtocolViolation(4400, "Invalid message received: subscribe needs an id")
        if (not isinstance(payload, dict) or not isinstance(payload.get("query"), str)
                or not isinstance(payload.get("variables") or {}, dict)
                or not isinstance(payload.get("extensions") or {}, dict)
                or not isinstance(payload.get("operationName") or "", str)):
            raise ProtocolViolation(4400, "Invalid message received: subscribe needs a payload "
                                          "with a query")
        if ident in self.running:
            raise ProtocolViolation(4409, f"Subscriber for {ident} already exists")
        request = GraphQLRequest(payload["query"], payload.get("variables"),
                                 payload.get("operationName"), payload.get("extensions"))
        task = asyncio.create_task(self._run(ident, request, self.session, self.request))
        self.running[ident] = task
        task.add_done_callback(lambda _: self._forget(ident, task))

    def _forget(self, ident: str, task: asyncio.Task[None]) -> None:
        if self.running.get(ident) is task:
            del self.running[ident]

    async def _complete(self, message: dict[str, Any]) -> None:
        ident = message.get("id")
        if not isinstance(ident, str):
            raise ProtocolViolation(4400, "Invalid message received: complete needs an id")
        task = self.running.pop(ident, None)
        if task is not None:
            task.cancel()

    async def _run(self, ident: str, graphql_request: GraphQLRequest, session: Session,
                   request: Request) -> None:
        try:
            started = await self.subscriptions.start(request, session, graphql_request)
        except Refused as refused:
            await self.send({"id": ident, "type": "error", "payload": refused.errors})
            return
        except Exception:
            _log.exception("a subscription could not start")
            await self.send({"id": ident, "type": "error", "payload": [error(
                "the subscription failed inside the gateway",
                ErrorCode.INTERNAL_SERVER_ERROR)]})
            return
        try:
            async for delivery in pump(started.deliveries, session):
                if delivery is None:
                    continue
                response = dict(delivery.response)
                if delivery.event_id is not None:
                    response["extensions"] = {**response.get("extensions", {}),
                                              "eventId": delivery.event_id}
                await self.send({"id": ident, "type": "next", "payload": response})
        except Refused as refused:
            await self.send({"id": ident, "type": "error", "payload": refused.errors})
            return
        except Exception:
            _log.exception("a subscription stream failed")
            await self.send({"id": ident, "type": "error", "payload": [error(
                "the subscription failed inside the gateway",
                ErrorCode.INTERNAL_SERVER_ERROR)]})
            return
        finally:
            started.release()
        await self.send({"id": ident, "type": "complete"})

    async def send(self, message: Mapping[str, Any]) -> None:
        """Send one message (sends from several subscriptions never interleave); a socket
        already gone is left alone."""
        async with self._send_lock:
            if self.websocket.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                    await self.websocket.send_text(orjson.dumps(message).decode())

    async def close(self, code: int, reason: str) -> None:
        await self.stop_all()
        async with self._send_lock:
            if self.websocket.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(RuntimeError):
                    await self.websocket.close(code, reason)

    async def stop_all(self) -> None:
        tasks = list(self.running.values())
        self.running.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


def _authorization(payload: Mapping[str, Any]) -> str | None:
    for key in ("Authorization", "authorization"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    return None
