"""A subscription operation checked and planned before its stream starts.

The same checks as a query (:class:`gateway.service.Gateway`), in the same order: the
operation's size, tokens and shape limits, validation against the API schema, the variables,
field authorization, the cost estimate, then the plan. One difference: a query has
unauthorized fields nulled in each response, but a subscription asking for a field its token
may not see is refused whole, with the fields named: every event would carry the same error.

The plan (:class:`gateway.federation.QueryPlanner`) starts with the ``subscription`` fetch of
the root field from the subgraph that owns it, then resolves the rest of each event's
selection like a query. The root fetch is served as a stream only by an in-process subgraph
(:class:`gateway.transports.InProcessTransport`); a subgraph over HTTP is refused with a
clear error (no subscription callback or multipart protocol to partner subgraphs yet).
"""

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    validate,
)
from graphql.execution.values import get_variable_values

from gateway.authorization import AuthShape, authorize_operation
from gateway.federation import QueryPlanner, Supergraph
from gateway.federation.errors import FederationError
from gateway.federation.executor.run import with_defaults
from gateway.federation.plan import Fetch, QueryPlan, Sequence
from gateway.limits import LimitExceeded, OperationGuard, fragments_of, measure
from gateway.service import Gateway, GraphQLRequest
from gateway.subscriptions.errors import Refused
from gateway.transports.in_process import InProcessTransport
from schema.kernel.errors import ErrorCode

_PLANS_KEPT = 256


@dataclass
class _Compiled:
    """What a gateway's current supergraph gives subscriptions: its guard, its planner (which
    plans subscriptions, unlike the gateway's own) and their plans by query and name."""

    supergraph: Supergraph
    guard: OperationGuard
    planner: QueryPlanner
    plans: OrderedDict[tuple[str, str | None], QueryPlan] = field(default_factory=OrderedDict)


_COMPILED: dict[int, _Compiled] = {}


@dataclass(frozen=True, slots=True)
class Prepared:
    """A subscription ready to run: its plan, coerced variables, the root fetch and the
    transport that streams it, and its estimated cost."""

    plan: QueryPlan
    variables: Mapping[str, Any]
    root: Fetch
    transport: InProcessTransport
    cost: int
    operation_name: str | None


def compiled(gateway: Gateway) -> _Compiled:
    """The guard, planner and plans of the gateway's current supergraph (built again when a
    hot reload replaced it)."""
    supergraph = gateway.supergraph
    known = _COMPILED.get(id(gateway))
    if known is None or known.supergraph is not supergraph:
        known = _COMPILED[id(gateway)] = _Compiled(
            supergraph, OperationGuard(gateway.limits, supergraph), QueryPlanner(supergraph))
    return known


def _plan(found: _Compiled, query: str, document: DocumentNode, name: str | None) -> QueryPlan:
    key = (query, name)
    plan = found.plans.get(key)
    if plan is None:
        plan = found.plans[key] = found.planner.plan(document, name, subscription=True)
        if len(found.plans) > _PLANS_KEPT:
            found.plans.popitem(last=False)
    else:
        found.plans.move_to_end(key)
    return plan


def prepare(gateway: Gateway, request: GraphQLRequest, auth_shape: AuthShape | None) -> Prepared:
    """Check and plan the subscription of ``request``; :class:`Refused` with the errors."""
    query = request.query
    if not isinstance(query, str) or not query.strip():
        raise Refused.of("the request has no GraphQL query", ErrorCode.BAD_USER_INPUT)
    found = compiled(gateway)
    guard, supergraph = found.guard, found.supergraph
    try:
        guard.check_text(query)
        document = guard.parse(query)
        fragments = fragments_of(document)
        operation = _select(document, request.operation_name)
        guard.check_shape(measure(operation, fragments))
    except LimitExceeded as exc:
        raise Refused([{"message": exc.message, "extensions": exc.extensions}]) from exc
    except GraphQLError as exc:
        raise Refused.of(exc.message, ErrorCode.GRAPHQL_PARSE_FAILED) from exc
    errors = validate(supergraph.api_schema, document)
    if errors:
        raise Refused([{**e.formatted, "extensions": {
            **(e.extensions or {}), "code": str(ErrorCode.GRAPHQL_VALIDATION_FAILED)}}
            for e in errors])
    if operation.operation is not OperationType.SUBSCRIPTION:
        raise Refused.of("not a subscription: send queries and mutations to /graphql",
                         ErrorCode.BAD_USER_INPUT)
    variables = get_variable_values(supergraph.api_schema, operation.variable_definitions or (),
                                    dict(request.variables or {}), max_errors=20)
    if isinstance(variables, list):
        raise Refused([{**e.formatted, "extensions": {
            **(e.extensions or {}), "code": str(ErrorCode.BAD_USER_INPUT)}} for e in variables])
    name = operation.name.value if operation.name else None
    if auth_shape is not None:
        _check_authorized(gateway, document, auth_shape, name)
    try:
        cost = guard.cost(operation, fragments, variables)
    except LimitExceeded as exc:
        raise Refused([{"message": exc.message, "extensions": exc.extensions}]) from exc
    try:
        plan = _plan(found, query, document, name)
    except FederationError as exc:
        raise Refused.of(f"subscription planning failed: {exc}",
                         ErrorCode.INTERNAL_SERVER_ERROR) from exc
    root = root_fetch(plan)
    transport = gateway.router.transport(root.subgraph)
    if not isinstance(transport, InProcessTransport):
        raise Refused.of(f"subscriptions to subgraph '{root.subgraph}' are not supported: only "
                         "the platform's own subgraphs stream events",
                         ErrorCode.BAD_USER_INPUT, subgraph=root.subgraph)
    return Prepared(plan, with_defaults(plan, variables.coerced), root, transport, cost, name)


def root_fetch(plan: QueryPlan) -> Fetch:
    """The plan's first fetch: the root field's subscription (planned first, alone)."""
    node = plan.node
    while isinstance(node, Sequence):
        node = node.nodes[0]
    if not isinstance(node, Fetch):
        raise Refused.of("the subscription has no root field to stream",
                         ErrorCode.BAD_USER_INPUT)
    return node


def _select(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None and len(operations) == 1:
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    if name is None:
        raise Refused.of("the document has several operations: operationName must say which",
                         ErrorCode.BAD_USER_INPUT)
    raise Refused.of(f"unknown operation named '{name}'", ErrorCode.BAD_USER_INPUT)


def _check_authorized(gateway: Gateway, document: DocumentNode, auth_shape: AuthShape,
                      name: str | None) -> None:
    authorized = authorize_operation(gateway.authorization, document, auth_shape, name)
    if not authorized.changed:
        return
    fields = sorted({removed.coordinate for removed in authorized.removed})
    paths = [".".join(str(p) for p in removed.path) for removed in authorized.removed]
    raise Refused.of(f"this token may not see {', '.join(fields)}: subscribe without "
                     "them, or with a token that has the scopes they need",
                     ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE, fields=fields, paths=paths)
