"""An LRU cache of query plans (DESIGN.md §2).

A plan depends on the selected operation (with the fragments it uses), not on how the client
spelled the request, and on the caller's authorization shape: auth prunes guarded fields from
the plan, so two callers who may see different fields must not share one. The key is therefore
``(digest of the normalized operation, operation name, auth_shape)``; ``auth_shape`` is any
hashable value (None until the auth layer supplies the set of guarded fields a caller may see).

Each lookup also counts as a hit or miss in the metrics of the request being served
(:func:`gateway.observability.current.record_plan_lookup`); :attr:`PlanCache.stats` are this
cache's own, which a hot reload replaces.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from graphql import DocumentNode, print_ast

from gateway.observability.current import record_plan_lookup

Plan = TypeVar("Plan")


@dataclass(frozen=True, slots=True)
class PlanKey:
    """Identifies a plan: the normalized operation and the caller's authorization shape."""

    operation: str
    operation_name: str | None
    auth_shape: Hashable = None


def operation_digest(document: DocumentNode) -> str:
    """A digest of the document as graphql-core prints it.

    Printing drops comments, insignificant whitespace and commas, so requests that differ
    only in formatting share a plan. Callers compute it once per parsed document.
    """
    return hashlib.blake2b(print_ast(document).encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class CacheStats:
    hits: int = 0
    misses: int = 0


class PlanCache(Generic[Plan]):
    """Least-recently-used plans, at most ``capacity`` of them."""

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 1:
            raise ValueError(f"plan cache capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self.stats = CacheStats()
        self._plans: OrderedDict[PlanKey, Plan] = OrderedDict()

    def __len__(self) -> int:
        return len(self._plans)

    def get(self, key: PlanKey) -> Plan | None:
        plan = self._plans.get(key)
        record_plan_lookup(plan is not None)
        if plan is None:
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        self._plans.move_to_end(key)
        return plan

    def put(self, key: PlanKey, plan: Plan) -> None:
        self._plans[key] = plan
        self._plans.move_to_end(key)
        if len(self._plans) > self.capacity:
            self._plans.popitem(last=False)

    def get_or_plan(self, key: PlanKey, make: Callable[[], Plan]) -> Plan:
        """The cached plan for ``key``, or ``make()``'s plan, cached."""
        plan = self.get(key)
        if plan is None:
            plan = make()
            self.put(key, plan)
        return plan

    def clear(self) -> None:
        self._plans.clear()
