"""What an app may run: its cost budget per second and its in-flight allowance, in one place.

Before an operation runs, :meth:`AppLimits.admit` takes its estimated cost from the app's
cost bucket (:class:`~gateway.limits.settings.CostBucket`, Shopify's model: a bucket of cost
points restored every second) and a share of its in-flight allowance; either refusal is a
:class:`Refusal` with the seconds to wait (``RATE_LIMITED``, HTTP 429, ``Retry-After``). A
bucket refusal takes nothing; an allowance refusal gives the cost back.

The bucket lives in a :class:`~schema.kernel.buckets.BucketStore` spent through this
process's :class:`~schema.kernel.budget_slices.BudgetSlices`: over a database, each process
withdraws slices of an app's budget (one write per slice, never one per request) and every
process shares one budget; without a database, in this process's memory. The allowance is a
:class:`~gateway.limits.ConcurrencyLimiter` in memory, or a
:class:`~gateway.limits.shared_concurrency.SharedConcurrency` over a database.

:meth:`throttle_status` is what ``extensions.cost.throttleStatus`` reports: the bucket's
size, refill and this process's estimate of what is left (its slice plus the shared level as
last read, refilled since: other processes may have spent some meanwhile).

Once an operation has run, what its estimate overstated (the actual cost,
:mod:`gateway.limits.actual_cost`, counts the lists it really returned) goes back to the
bucket through :meth:`AppLimits.refund`, into this process's slice: no write.
"""

import inspect
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.authorization.wiring import principal_of
from gateway.limits.concurrency import ConcurrencyLimiter, Release
from gateway.limits.settings import OperationLimits
from gateway.limits.shared_concurrency import SharedConcurrency, sweep_idle_shares
from schema.kernel.buckets import Clock, MemoryBuckets, MongoBuckets, Rate, sweep_full_buckets
from schema.kernel.budget_slices import BudgetSlices
from schema.kernel.sandbox import Databases

BUSY_RETRY_AFTER_S = 1
"""What an app at its in-flight allowance is told to wait: operations end within seconds."""

BUSY = ("this app already has as much work running as it may at once (operations, or "
         "their estimated cost): retry when one has finished")


@dataclass(frozen=True, slots=True)
class Refusal:
    """An operation refused for now: why, and the whole seconds to wait (``Retry-After``)."""

    message: str
    retry_after: int


class AppLimits:
    """The cost buckets and in-flight allowances of every app, for one database (or none).

    Apps are the keys :mod:`gateway.limits.caller` gives (``client:<id>``, ``address:<ip>``);
    ``limits`` says each app's bucket (``app_cost_buckets`` by client id).
    """

    def __init__(self, limits: OperationLimits, slices: BudgetSlices,
                 concurrency: ConcurrencyLimiter | SharedConcurrency) -> None:
        self.limits = limits
        self.slices = slices
        self.concurrency = concurrency

    @classmethod
    def in_memory(cls, limits: OperationLimits, clock: Clock = time.time) -> "AppLimits":
        """For one process without a database (the standalone gateway)."""
        return cls(limits, BudgetSlices(MemoryBuckets(clock), slice_share=0, clock=clock),
                   ConcurrencyLimiter(limits.concurrent_operations, limits.concurrent_cost))

    @classmethod
    def shared(cls, limits: OperationLimits, db: AsyncDatabase,
               clock: Clock = time.time) -> "AppLimits":
        """Shared by every process whose apps' budgets live in ``db``."""
        longest = limits.timeout_seconds + 10.0  # the deadline, and the executor's grace
        return cls(limits, BudgetSlices(MongoBuckets(db, clock), clock=clock),
                   SharedConcurrency(db, limits.concurrent_operations, limits.concurrent_cost,
                                     longest_s=longest, clock=clock))

    def rate(self, key: str) -> Rate:
        client_id = key.removeprefix("client:") if key.startswith("client:") else None
        bucket = self.limits.bucket_of(client_id)
        return Rate(bucket.size, bucket.restore_rate)

    async def admit(self, key: str, cost: int) -> Release | Refusal:
        """Take ``cost`` from ``key``'s bucket and a share of its allowance, or refuse."""
        rate = self.rate(key)
        wait = await self.slices.spend(f"cost:{key}", rate, cost)
        if wait is not None:
            return Refusal(f"this app has spent its cost budget for now: the operation costs "
                           f"{cost}, {self._available(key, rate)} is left of "
                           f"{rate.maximum:g}, restored at {rate.per_second:g} a second",
                           retry_after(wait))
        acquired = self.concurrency.acquire(key, cost)
        release = await acquired if inspect.isawaitable(acquired) else acquired
        if release is None:
            self.slices.refund(f"cost:{key}", cost)
            return Refusal(BUSY, BUSY_RETRY_AFTER_S)
        return release

    def refund(self, key: str, amount: int) -> None:
        """Give ``key`` back ``amount`` of a cost it was charged (what an estimate
        overstated)."""
        if amount > 0:
            self.slices.refund(f"cost:{key}", amount)

    def throttle_status(self, key: str) -> dict[str, Any]:
        """``extensions.cost.throttleStatus`` for ``key``."""
        rate = self.rate(key)
        return {"maximumAvailable": _number(rate.maximum),
                "currentlyAvailable": self._available(key, rate),
                "restoreRate": _number(rate.per_second)}

    def _available(self, key: str, rate: Rate) -> int:
        return math.floor(self.slices.available(f"cost:{key}", rate))


def limits_by_database(limits: OperationLimits,
                       databases: Databases) -> Callable[[Mapping[str, Any]], AppLimits]:
    """The limits a request counts against, chosen by its principal: a sandbox app's budgets
    live in the sandbox database (apart from its live twin's), everyone else's in live."""
    live = AppLimits.shared(limits, databases.live)
    sandbox = AppLimits.shared(limits, databases.sandbox)

    def limits_for(context: Mapping[str, Any]) -> AppLimits:
        principal = principal_of(context)
        return sandbox if principal is not None and principal.sandbox else live

    return limits_for


async def sweep_budgets(db: AsyncDatabase) -> int:
    """Remove ``db``'s long-full buckets and long-idle shares; returns how many."""
    return await sweep_full_buckets(db) + await sweep_idle_shares(db)


def retry_after(seconds: float) -> int:
    """Whole seconds for ``Retry-After``: rounded up, at least 1 (a day at most: a bucket
    that never refills)."""
    return max(1, min(86_400, math.ceil(seconds))) if math.isfinite(seconds) else 86_400


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
