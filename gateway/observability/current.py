"""The observation of the request being served, for code far below the HTTP layer.

The transport router, the retries and the plan cache record into the metrics and spans of
the app whose request they serve. They are handed no app object: the middleware puts the app's
:class:`Observation` in a context variable for the request, which every task the request
starts inherits. Outside a request (readiness probes, tests of the router alone) there is
none, and nothing is recorded.
"""

from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry.trace import Tracer

from gateway.observability.metrics import Metrics


@dataclass(frozen=True, slots=True)
class Observation:
    metrics: Metrics | None
    tracer: Tracer | None


CURRENT: ContextVar[Observation | None] = ContextVar("loopgate_observation", default=None)


def record_plan_lookup(hit: bool) -> None:
    """Count a plan-cache lookup of the current request."""
    observation = CURRENT.get()
    if observation is not None and observation.metrics is not None:
        metrics = observation.metrics
        metrics.child(metrics.plan_cache, "hit" if hit else "miss").inc()


def record_retry(subgraph: str) -> None:
    """Count a retried subgraph fetch of the current request."""
    observation = CURRENT.get()
    if observation is not None and observation.metrics is not None:
        metrics = observation.metrics
        metrics.child(metrics.subgraph_retries, subgraph).inc()
