"""Planning time per operation: planned from scratch vs served by the gateway's caches."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from graphql import parse

from gateway.federation import QueryPlanner, Supergraph
from gateway.service import Gateway
from gateway.transports.router import TransportRouter


@dataclass(frozen=True)
class PlanningTimes:
    uncached: float
    cached: float


def _mean_seconds(action: Callable[[], object], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - started) / repeat


def planning_times(sdl: str, query: str, repeat: int = 200) -> PlanningTimes:
    """Uncached: parse + plan each time; cached: the gateway's document and plan caches."""
    supergraph = Supergraph.parse(sdl)
    planner = QueryPlanner(supergraph)
    gateway = Gateway(supergraph, TransportRouter({}))
    gateway.plan(query)
    return PlanningTimes(uncached=_mean_seconds(lambda: planner.plan(parse(query), None), repeat),
                         cached=_mean_seconds(lambda: gateway.plan(query), repeat * 10))
