"""Apollo Federation v2 in pure Python: supergraph model, query planner and executor.

Build a :class:`Supergraph` and a :class:`QueryPlanner` once per supergraph; plan each
operation into an immutable, cacheable :class:`QueryPlan`; run it with :func:`execute_plan`
and any fetch function (in-process or HTTP transport).
"""

from .errors import FederationError, PlanningError, SupergraphError
from .executor import FetchFunction, execute_plan
from .plan import Fetch, Flatten, Parallel, PlanNode, QueryPlan, Sequence
from .planner import QueryPlanner
from .supergraph import AccessRequirement, SubgraphInfo, Supergraph

__all__ = [
    "AccessRequirement",
    "FederationError",
    "Fetch",
    "FetchFunction",
    "Flatten",
    "Parallel",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "QueryPlanner",
    "Sequence",
    "SubgraphInfo",
    "Supergraph",
    "SupergraphError",
    "execute_plan",
]
