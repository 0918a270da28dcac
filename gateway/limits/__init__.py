"""Operation limits and fairness: what keeps one caller's operation from hurting the others.

The stages, in the order a request meets them:

* ``settings``: :class:`OperationLimits`, every ceiling with its default (``LOOPGATE_LIMITS``);
* ``caller``: who is calling (an app by client id, an anonymous caller by address);
* ``concurrency``: :class:`ConcurrencyLimiter`, operations in flight per app (HTTP 429);
  ``shared_concurrency``: the same allowance shared by every process on one database;
* ``budget``: :class:`~gateway.limits.budget.AppLimits`, each app's cost bucket (Shopify's
  ``maximumAvailable``/``restoreRate``, ``extensions.cost``) and in-flight allowance, in
  memory or shared through MongoDB (:mod:`schema.kernel.budget_slices`), asked once an
  operation's cost is known; ``actual_cost``: what an operation really cost, from the data
  it returned (the rest is refunded);
* ``measure``: an operation's shape from its syntax (depth, aliases, root fields);
* ``directives`` and ``cost``: ``@cost``/``@listSize`` read from the supergraph, and the
  estimated cost of an operation with its variables;
* ``introspection``: who may send ``__schema``/``__type``;
* ``guard``: :class:`OperationGuard`, the checks above for one supergraph, as the gateway
  service (:mod:`gateway.service`) runs them after parsing and before planning.

Refusals are :class:`LimitExceeded` (``QUERY_TOO_COMPLEX`` with ``extensions.limit``,
``value`` and ``maximum``) and :class:`IntrospectionRefused`. The time budget of an
operation is :attr:`OperationLimits.timeout_seconds`, enforced by the executor and the
transports (:mod:`gateway.transports`).
"""

from gateway.limits.concurrency import ConcurrencyLimiter
from gateway.limits.errors import LimitExceeded
from gateway.limits.guard import OperationGuard
from gateway.limits.introspection import IntrospectionRefused
from gateway.limits.measure import Shape, fragments_of, measure
from gateway.limits.settings import Introspection, OperationLimits

__all__ = [
    "ConcurrencyLimiter",
    "Introspection",
    "IntrospectionRefused",
    "LimitExceeded",
    "OperationGuard",
    "OperationLimits",
    "Shape",
    "fragments_of",
    "measure",
]
