"""Metrics and a span for each subgraph fetch of the current request.

:func:`observed_fetch` wraps a transport's ``execute``. The span is current while the
transport runs, so the HTTP transport's ``headers_for`` (:func:`trace_headers`) sends its
W3C ``traceparent`` and the subgraph's spans join the gateway's trace. Outside a request,
or with neither metrics nor tracing, it is the bare call.

The transports import this module, so it imports none of theirs at run time: the router
names each failure's kind (:data:`FailureKind`).
"""

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.observability.current import CURRENT, Observation

if TYPE_CHECKING:
    from gateway.transports.base import SubgraphRequest

Execute = Callable[["SubgraphRequest"], Awaitable[Mapping[str, Any]]]
FailureKind = Callable[[BaseException], str]
"""The ``kind`` label of a failed fetch (unavailable, circuit_open, cancelled, …)."""

_PROPAGATOR = TraceContextTextMapPropagator()


async def observed_fetch(request: "SubgraphRequest", execute: Execute,
                         failure_kind: FailureKind) -> Mapping[str, Any]:
    observation = CURRENT.get()
    if observation is None:
        return await execute(request)
    if observation.tracer is None:
        return await _measured(observation, request, execute, failure_kind)
    with observation.tracer.start_as_current_span(
            f"fetch {request.subgraph}", kind=SpanKind.CLIENT,
            attributes={"loopgate.subgraph": request.subgraph,
                        "graphql.operation.name": request.operation_name or ""},
            record_exception=False, set_status_on_exception=False) as span:
        try:
            response = await _measured(observation, request, execute, failure_kind)
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, str(exc) or type(exc).__name__))
            raise
        if response.get("errors"):
            span.set_attribute("loopgate.subgraph.errors", len(response["errors"]))
        return response


async def _measured(observation: Observation, request: "SubgraphRequest",
                    execute: Execute, failure_kind: FailureKind) -> Mapping[str, Any]:
    metrics = observation.metrics
    if metrics is None:
        return await execute(request)
    started = time.perf_counter()
    kind = None
    try:
        response = await execute(request)
        if response.get("errors"):
            kind = "response_errors"
        return response
    except BaseException as exc:
        kind = failure_kind(exc)
        raise
    finally:
        metrics.child(metrics.subgraph_duration, request.subgraph).observe(
            time.perf_counter() - started)
        if kind is not None:
            metrics.child(metrics.subgraph_errors, request.subgraph, kind).inc()


def trace_headers(_request: "SubgraphRequest") -> Mapping[str, str]:
    """W3C ``traceparent`` (and ``tracestate``) of the current span; none without tracing."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier
