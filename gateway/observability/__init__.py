"""Operations: request ids, JSON logs, Prometheus metrics, OpenTelemetry traces, draining.

:func:`instrument` is the one call an app needs: it adds the observability middleware and
``/metrics``, and wraps the app's lifespan: while the app runs, SIGTERM/SIGINT begin
draining before the server's own handler sees them; shutting down drains first and flushes
the spans last. The servers need no change (``--workers`` included). The pieces live in
their own modules (see each one's docstring).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.observability.current import Observation
from gateway.observability.metrics import Metrics
from gateway.observability.middleware import ObservabilityMiddleware
from gateway.observability.settings import ObservabilitySettings
from gateway.observability.shutdown import Shutdown
from gateway.observability.tracing import provider_from_environment

__all__ = ["Observability", "ObservabilitySettings", "Shutdown", "instrument"]


@dataclass(frozen=True, slots=True)
class Observability:
    """What one app observes with: its metrics, its tracer provider, its draining flag."""

    settings: ObservabilitySettings
    metrics: Metrics | None
    tracer_provider: TracerProvider | None
    shutdown: Shutdown
    observation: Observation


def instrument(app: Starlette, settings: ObservabilitySettings | None = None, *,
               tracer_provider: TracerProvider | None = None) -> Observability:
    """Observe ``app`` (before it serves its first request); also kept as
    ``app.state.observability``. ``tracer_provider`` defaults to the ``OTEL_*`` environment's
    (None: no tracing)."""
    if getattr(app.state, "observability", None) is not None:
        raise ValueError("this app is instrumented already")
    settings = settings or ObservabilitySettings()
    provider = tracer_provider or provider_from_environment()
    metrics = Metrics(operation_names=settings.metrics_operation_names) \
        if settings.metrics else None
    tracer = provider.get_tracer("loopgate") if provider is not None else None
    observability = Observability(settings, metrics, provider, Shutdown(settings.shutdown_delay_s),
                                  Observation(metrics, tracer))
    app.add_middleware(ObservabilityMiddleware, observability=observability)
    if metrics is not None:
        app.router.routes.append(Route("/metrics", _metrics_endpoint(metrics), methods=["GET"]))
    app.router.lifespan_context = _draining_lifespan(app.router.lifespan_context, observability)
    app.state.observability = observability
    return observability


def _metrics_endpoint(metrics: Metrics) -> Any:
    async def endpoint(_request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return endpoint


def _draining_lifespan(inner: Any, observability: Observability) -> Any:
    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        try:
            with observability.shutdown.on_signals():
                async with inner(app) as state:
                    try:
                        yield state
                    finally:
                        observability.shutdown.begin()
        finally:
            if observability.tracer_provider is not None:
                observability.tracer_provider.shutdown()

    return lifespan
