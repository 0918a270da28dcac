"""The per-app in-flight allowance: operations and their estimated cost."""

from gateway.limits import ConcurrencyLimiter


def test_operations_are_counted_up_to_the_cap() -> None:
    limiter = ConcurrencyLimiter(per_key=2, cost_per_key=1000)
    first, second = limiter.acquire("a", 1), limiter.acquire("a", 1)
    assert first and second and limiter.acquire("a", 1) is None
    assert limiter.acquire("b", 1) is not None
    first()
    assert limiter.acquire("a", 1) is not None


def test_cost_is_summed_and_an_idle_app_is_always_admitted() -> None:
    limiter = ConcurrencyLimiter(per_key=20, cost_per_key=20_000)
    huge = limiter.acquire("a", 50_000)
    assert huge is not None and limiter.cost_running("a") == 50_000
    assert limiter.acquire("a", 1) is None
    huge()
    heavy = [limiter.acquire("a", 10_000) for _ in range(3)]
    assert heavy[0] and heavy[1] and heavy[2] is None
    assert limiter.cost_running("a") == 20_000


def test_a_release_counts_once_and_idle_keys_are_forgotten() -> None:
    limiter = ConcurrencyLimiter(per_key=1, cost_per_key=10)
    release = limiter.acquire("a", 5)
    assert release is not None
    release()
    release()
    assert limiter.running("a") == 0 and limiter._running == {}
