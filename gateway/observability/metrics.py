"""Prometheus metrics of one app (served at ``/metrics``).

Each :class:`Metrics` has its own registry, so two apps in one process (tests, or ``serve``
beside a standalone gateway) never mix their counts. Label values that clients choose are
bounded: the first ``operation_names`` distinct operation names get their own label, later
ones are counted as ``other`` (a client could otherwise grow the series without end), and so
are error codes past :data:`MAX_ERROR_CODES`.

With several worker processes, each process counts its own, and a scrape reaches whichever
worker accepts it. In prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, an
empty directory, set before the workers start) every worker's ``/metrics`` answers for all of
them; :func:`share_between_workers` sets it up for a ``--workers`` parent.
"""

import atexit
import os
import shutil
import tempfile
import threading
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Latency buckets: prometheus-client's default ones, up to the default 30 s time budget."""
MAX_ERROR_CODES = 100
ANONYMOUS = "anonymous"
OTHER = "other"


class BoundedLabels:
    """At most ``limit`` distinct values pass; later new values become ``other``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        with self._lock:
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(value)
        return value


class Metrics:
    """The gateway's metrics; see the README's Operations section for what each one means."""

    def __init__(self, *, operation_names: int = 200) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.http_requests = Counter(
            "loopgate_http_requests", "HTTP requests answered, by method and status code",
            ["method", "status"], registry=registry)
        self.in_flight = Gauge(
            "loopgate_http_requests_in_flight", "HTTP requests being served",
            registry=registry, multiprocess_mode="livesum")
        self.graphql_requests = Counter(
            "loopgate_graphql_requests", "GraphQL requests by operation name and outcome",
            ["operation", "outcome"], registry=registry)
        self.graphql_duration = Histogram(
            "loopgate_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name", ["operation"],
            buckets=SECONDS, registry=registry)
        self.graphql_errors = Counter(
            "loopgate_graphql_errors", "Errors in GraphQL responses, by extensions.code",
            ["code"], registry=registry)
        self.subgraph_duration = Histogram(
            "loopgate_subgraph_fetch_duration_seconds",
            "Time of one subgraph fetch (retries included), by subgraph", ["subgraph"],
            buckets=SECONDS, registry=registry)
        self.subgraph_errors = Counter(
            "loopgate_subgraph_fetch_errors",
            "Subgraph fetches that failed (unavailable, circuit_open, cancelled, "
            "transport_error) or answered with errors (response_errors)", ["subgraph", "kind"],
            registry=registry)
        self.subgraph_retries = Counter(
            "loopgate_subgraph_fetch_retries", "Query fetches sent again after a retryable "
            "failure (connection refused or reset, 502/503/504), by subgraph", ["subgraph"],
            registry=registry)
        self.plan_cache = Counter(
            "loopgate_plan_cache_lookups", "Query-plan cache lookups by result (hit, miss)",
            ["result"], registry=registry)
        self._operation = BoundedLabels(operation_names)
        self._code = BoundedLabels(MAX_ERROR_CODES)
        self._children: dict[tuple[Any, ...], Any] = {}

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, memoized: prometheus-client takes a lock per lookup,
        and a request records several series (all bounded, so the memo is too)."""
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def graphql_request(self, operation: str | None, outcome: str, codes: list[str],
                        seconds: float) -> None:
        name = self._operation(operation) if operation else ANONYMOUS
        self.child(self.graphql_requests, name, outcome).inc()
        self.child(self.graphql_duration, name).observe(seconds)
        for code in codes:
            self.child(self.graphql_errors, self._code(code)).inc()

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type (all workers' in multiprocess mode)."""
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def share_between_workers() -> str:
    """Call in a ``--workers`` parent before it starts its workers: the multiprocess
    directory they will share. An operator's ``PROMETHEUS_MULTIPROC_DIR`` is kept (clearing
    it between runs is theirs to do); otherwise a fresh one is made and removed at exit.
    prometheus-client reads the variable when imported, which each spawned worker does."""
    existing = os.environ.get(MULTIPROC_ENV)
    if existing:
        return existing
    made = tempfile.mkdtemp(prefix="loopgate-metrics-")
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    os.environ[MULTIPROC_ENV] = made
    return made
