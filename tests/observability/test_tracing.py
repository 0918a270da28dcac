"""OpenTelemetry: a server span per request, a client span per subgraph fetch under it, W3C
trace context sent to HTTP subgraphs and taken from callers; nothing when not configured."""

import aiohttp
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.observability.tracing import (
    TracingConfigError,
    exporter_names,
    provider_from_environment,
)
from tests.observability.apps import QUERY, client, gateway_app
from tests.observability.servers import FlakySubgraph

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_TRACEPARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


async def test_request_and_fetch_spans_and_propagation(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession,
        provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    app = gateway_app(flaky_url, session, tracer_provider=provider)
    async with client(app) as http:
        reply = await http.post("/graphql", json=QUERY)
    assert reply.json()["data"] == {"hello": "ok"}
    fetch, server = exporter.get_finished_spans()
    assert server.name == "graphql Hello" and server.kind is SpanKind.SERVER
    assert server.attributes["graphql.operation.name"] == "Hello"
    assert server.attributes["loopgate.graphql.outcome"] == "executed"
    assert server.attributes["http.response.status_code"] == 200
    assert server.parent is None
    assert fetch.name == "fetch flaky" and fetch.kind is SpanKind.CLIENT
    assert fetch.parent.span_id == server.context.span_id
    assert fetch.context.trace_id == server.context.trace_id
    version, trace_id, parent_id, _flags = flaky.calls[0]["traceparent"].split("-")
    assert (version, trace_id, parent_id) == (
        "00", f"{fetch.context.trace_id:032x}", f"{fetch.context.span_id:016x}")


async def test_a_callers_trace_is_continued(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession,
        provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    app = gateway_app(flaky_url, session, tracer_provider=provider)
    async with client(app) as http:
        await http.post("/graphql", json=QUERY, headers={"traceparent": CALLER_TRACEPARENT})
    _fetch, server = exporter.get_finished_spans()
    assert f"{server.context.trace_id:032x}" == CALLER_TRACE
    assert flaky.calls[0]["traceparent"].split("-")[1] == CALLER_TRACE


async def test_failed_fetches_are_error_spans(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession,
        provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    app = gateway_app(flaky_url, session, tracer_provider=provider)
    flaky.then("500")
    async with client(app) as http:
        await http.post("/graphql", json=QUERY)
    fetch, _server = exporter.get_finished_spans()
    assert fetch.status.status_code is StatusCode.ERROR
    assert "HTTP 500" in fetch.status.description


async def test_nothing_is_traced_or_sent_without_an_exporter(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    app = gateway_app(flaky_url, session)
    assert app.state.observability.observation.tracer is None
    async with client(app) as http:
        await http.post("/graphql", json=QUERY, headers={"traceparent": CALLER_TRACEPARENT})
    assert "traceparent" not in flaky.calls[0]


def test_the_environment_chooses_the_exporters() -> None:
    assert exporter_names({}) == []
    assert exporter_names({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == ["otlp"]
    assert exporter_names({"OTEL_TRACES_EXPORTER": "console,otlp"}) == ["console", "otlp"]
    assert exporter_names({"OTEL_TRACES_EXPORTER": "none",
                           "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == []
    assert provider_from_environment({}) is None
    with pytest.raises(TracingConfigError, match="zipkin"):
        provider_from_environment({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_an_otlp_endpoint_makes_a_provider() -> None:
    provider = provider_from_environment({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4699",
                                          "OTEL_SERVICE_NAME": "edge-gateway"})
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "edge-gateway"
    provider.shutdown()
