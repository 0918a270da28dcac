"""The ASGI middleware that observes every HTTP request of an app.

Per request it: takes or makes the request id (:mod:`.request_id`) and returns it in
``X-Request-Id``; turns the request away with 503 while the app drains (:mod:`.shutdown`);
puts the app's :class:`~.current.Observation` in context for the router and plan cache; opens
the request's server span, continuing the caller's W3C trace when it sent one; and records
the metrics. What a GraphQL request was (operation name, outcome, error codes) the endpoint
leaves in ``request.state``, which Starlette keeps in ``scope["state"]``: this middleware
reads it there once the app has answered (an outcome of None, the GraphiQL page, or none at
all is not a GraphQL request).
"""

import time
from typing import TYPE_CHECKING, Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability.current import CURRENT
from gateway.observability.request_id import REQUEST_ID, accepted_request_id
from schema.kernel.errors import ErrorCode

if TYPE_CHECKING:
    from gateway.observability import Observability

ALWAYS_SERVED = frozenset({"/healthz", "/metrics"})
"""Paths answered while draining: the process is alive, and its last counts are wanted."""

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods counted by name; any other (clients may send any token) counts as ``other``."""

_PROPAGATOR = TraceContextTextMapPropagator()
_DRAINING_BODY = orjson.dumps({"errors": [{
    "message": "this server is shutting down: retry, another instance will answer",
    "extensions": {"code": ErrorCode.SERVICE_UNAVAILABLE}}]})
_NOT_READY_BODY = orjson.dumps({"status": "unavailable",
                                "reasons": {"shutdown": "the server is shutting down"}})


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, observability: "Observability") -> None:
        self.app = app
        self.observability = observability

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(_header(scope, b"x-request-id"))
        id_token = REQUEST_ID.set(request_id)
        observation_token = CURRENT.set(self.observability.observation)
        try:
            if self.observability.shutdown.draining and scope["path"] not in ALWAYS_SERVED:
                await self._unavailable(scope, send, request_id)
            else:
                await self._observed(scope, receive, send, request_id)
        finally:
            CURRENT.reset(observation_token)
            REQUEST_ID.reset(id_token)

    async def _observed(self, scope: Scope, receive: Receive, send: Send,
                        request_id: str) -> None:
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500
        id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), id_header]}
            await send(message)

        metrics = self.observability.metrics
        tracer = self.observability.observation.tracer
        started = time.perf_counter()
        if metrics is not None:
            metrics.in_flight.inc()
        span = None
        try:
            if tracer is None:
                await self.app(scope, receive, send_with_id)
            else:
                span = tracer.start_span(
                    f"{scope['method']} {scope['path']}", kind=SpanKind.SERVER,
                    context=_PROPAGATOR.extract(_headers(scope)),
                    attributes={"http.request.method": scope["method"],
                                "url.path": scope["path"], "loopgate.request_id": request_id})
                with trace.use_span(span, end_on_exit=False):
                    await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            if metrics is not None:
                metrics.in_flight.dec()
                metrics.child(metrics.http_requests, _method(scope), str(status)).inc()
                if state.get("graphql_outcome") is not None:
                    metrics.graphql_request(state.get("graphql_operation"),
                                            str(state["graphql_outcome"]),
                                            [str(code) for code in
                                             state.get("graphql_error_codes") or ()],
                                            elapsed)
            if span is not None:
                _finish(span, status, state)

    async def _unavailable(self, scope: Scope, send: Send, request_id: str) -> None:
        body = _NOT_READY_BODY if scope["path"] == "/readyz" else _DRAINING_BODY
        metrics = self.observability.metrics
        if metrics is not None:
            metrics.child(metrics.http_requests, _method(scope), "503").inc()
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"connection", b"close"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode())]})
        await send({"type": "http.response.body", "body": body})


def _finish(span: trace.Span, status: int, state: dict[str, Any]) -> None:
    span.set_attribute("http.response.status_code", status)
    if state.get("graphql_outcome") is not None:
        operation = state.get("graphql_operation")
        span.update_name(f"graphql {operation or 'anonymous'}")
        span.set_attribute("graphql.operation.name", operation or "")
        span.set_attribute("loopgate.graphql.outcome", str(state["graphql_outcome"]))
        codes = state.get("graphql_error_codes")
        if codes:
            span.set_attribute("loopgate.graphql.error_codes", [str(code) for code in codes])
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
    span.end()


def _method(scope: Scope) -> str:
    method: str = scope["method"]
    return method if method in _METHODS else "other"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


def _headers(scope: Scope) -> dict[str, str]:
    return {key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope.get("headers", ())}
