"""OpenTelemetry tracing, on only when an exporter is configured by the standard variables.

``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, or ``none``) or an OTLP endpoint
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) turns it on; the
OTLP exporter speaks HTTP/protobuf and reads its other ``OTEL_EXPORTER_OTLP_*`` settings
itself, and the resource reads ``OTEL_SERVICE_NAME`` (default ``loopgate``) and
``OTEL_RESOURCE_ATTRIBUTES``. Without them no provider is made and requests pay one ``None``
check. The provider is the app's own, not the global one, so tests and embedded apps do not
share spans.
"""

import os
from collections.abc import Mapping

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

SERVICE_NAME = "loopgate"


class TracingConfigError(ValueError):
    """``OTEL_TRACES_EXPORTER`` names an exporter Loopgate does not ship."""


def _exporter(name: str) -> SpanExporter:
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    raise TracingConfigError(f"OTEL_TRACES_EXPORTER={name!r} is not supported (otlp, console, "
                             "none)")


def exporter_names(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The exporters the environment asks for; empty when tracing is off."""
    named = [name.strip() for name in environ.get("OTEL_TRACES_EXPORTER", "").split(",")
             if name.strip()]
    if "none" in named:
        return []
    if named:
        return named
    if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return ["otlp"]
    return []


def provider_from_environment(environ: Mapping[str, str] = os.environ) -> TracerProvider | None:
    """A tracer provider exporting where the environment says, or None when it says nothing."""
    names = exporter_names(environ)
    if not names:
        return None
    exporters = [_exporter(name) for name in names]
    resource = Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME", SERVICE_NAME)})
    provider = TracerProvider(resource=resource)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
