"""The default retry schedule (DESIGN.md §7): exponential backoff with jitter, retries for at
least 24 hours after the first attempt, then a dead letter — driven through
:func:`record_attempts` on the real FerretDB with a simulated clock."""

from datetime import timedelta
from itertools import pairwise

from pymongo.asynchronous.database import AsyncDatabase

from partners.webhooks.deliveries import (
    DEAD,
    DELIVERIES,
    FAILED,
    Outcome,
    RetryPolicy,
    new_delivery,
    record_attempts,
)
from schema.kernel.events import make_event
from schema.kernel.time import as_utc, utcnow

ENDPOINT = {"_id": "whk_01JRETRY00000000000000000", "partnerId": "ptn_01JRETRY0000000000000000"}


def test_delays_double_up_to_the_cap_each_scaled_by_jitter() -> None:
    policy = RetryPolicy()
    for attempts in range(1, 20):
        plain = min(policy.cap, policy.base * 2 ** (attempts - 1))
        delays = [policy.delay(attempts) for _ in range(50)]
        assert all(plain * (1 - policy.jitter) <= d <= plain for d in delays)
        assert len(set(delays)) > 1, "no jitter"
    assert policy.window >= timedelta(hours=24)


async def test_a_failing_delivery_is_retried_for_at_least_24_hours_then_dead(
        db: AsyncDatabase) -> None:
    policy = RetryPolicy()
    first = utcnow()
    event = make_event("order.created", ENDPOINT["partnerId"], "Order", "ord_1", 1, {})
    await db[DELIVERIES].insert_one(new_delivery(event, ENDPOINT, first))
    clock, attempts_at = first, []
    while True:
        delivery = await db[DELIVERIES].find_one({})
        assert delivery is not None
        attempts_at.append(clock)
        before = utcnow()
        await record_attempts(db, [(delivery, Outcome(503, 5, "HTTP 503"))], clock, policy)
        after = await db[DELIVERIES].find_one({})
        assert after is not None and after["attempts"] == len(attempts_at)
        if after["status"] == DEAD:
            break
        assert after["status"] == FAILED and clock - first < policy.window
        waited = as_utc(after["nextAttemptAt"]) - before
        plain = min(policy.cap, policy.base * 2 ** (after["attempts"] - 1))
        assert plain * (1 - policy.jitter) - timedelta(seconds=1) <= waited <= plain
        clock += waited
        assert len(attempts_at) < 60
    assert attempts_at[-1] - attempts_at[0] >= timedelta(hours=24)
    assert after["nextAttemptAt"] is None and after["lastResponseCode"] == 503
    gaps = [b - a for a, b in pairwise(attempts_at)]
    assert gaps[0] <= timedelta(seconds=30) and max(gaps) <= policy.cap
    assert gaps[5] > gaps[0] * 4, "backoff is exponential"
    assert 15 <= len(attempts_at) <= 40
