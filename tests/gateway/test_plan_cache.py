"""The plan cache: LRU order, normalization of the operation, the auth-shape component."""

import pytest
from graphql import parse

from gateway.plan_cache import PlanCache, PlanKey, operation_digest


def key(query: str, name: str | None = None, auth_shape: object = None) -> PlanKey:
    return PlanKey(operation_digest(parse(query)), name, auth_shape)


def test_formatting_and_comments_do_not_change_the_key() -> None:
    compact = key("query Q($id: ID!) { user(id: $id) { id name } }", "Q")
    spread = key("""
        # fetch one user
        query Q($id: ID!) {
          user(id: $id) { id, name }
        }""", "Q")
    assert compact == spread


def test_different_selections_names_or_auth_shapes_differ() -> None:
    base = key("{ user { id } }")
    assert key("{ user { id name } }") != base
    assert key("{ user { id } }", "Other") != base
    assert key("{ user { id } }", auth_shape=frozenset({"User.email"})) != base


def test_get_or_plan_plans_once_per_key() -> None:
    cache: PlanCache[str] = PlanCache(capacity=4)
    calls: list[str] = []

    def make(label: str) -> str:
        calls.append(label)
        return f"plan:{label}"

    first = cache.get_or_plan(key("{ a }"), lambda: make("a"))
    again = cache.get_or_plan(key("{a}"), lambda: make("a-again"))
    assert (first, again, calls) == ("plan:a", "plan:a", ["a"])
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


def test_least_recently_used_plan_is_evicted() -> None:
    cache: PlanCache[str] = PlanCache(capacity=2)
    a, b, c = key("{ a }"), key("{ b }"), key("{ c }")
    cache.put(a, "A")
    cache.put(b, "B")
    assert cache.get(a) == "A"
    cache.put(c, "C")
    assert (cache.get(a), cache.get(b), cache.get(c), len(cache)) == ("A", None, "C", 2)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PlanCache(capacity=0)


def test_lookups_count_in_the_current_requests_metrics() -> None:
    from gateway.observability.current import CURRENT, Observation
    from gateway.observability.metrics import Metrics

    metrics = Metrics()
    cache: PlanCache[str] = PlanCache(capacity=2)
    cache.get(key("{ a }"))   # outside a request: counted nowhere but the cache's own stats
    token = CURRENT.set(Observation(metrics, None))
    try:
        cache.get_or_plan(key("{ a }"), lambda: "A")
        cache.get(key("{ a }"))
    finally:
        CURRENT.reset(token)
    counted = {result: metrics.plan_cache.labels(result)._value.get() for result in ("hit", "miss")}
    assert counted == {"hit": 1, "miss": 1}
    assert (cache.stats.hits, cache.stats.misses) == (1, 2)
