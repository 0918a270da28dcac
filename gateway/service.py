"""The gateway as a service: a GraphQL request in, a GraphQL response out (DESIGN.md §2).

:class:`Gateway` does the request-level work before the federation engine runs: parse
(cached per query text), validate against the API schema (cached with the parse), select the
operation, coerce variables, then plan (through the plan cache) and execute. A request that
fails any step before planning never reaches a subgraph. The HTTP layer turns a
:class:`GatewayResult`'s :class:`Outcome` into a status code; this module knows no HTTP.

Operation limits (:mod:`gateway.limits`) are checked before planning: the query's size
before parsing, tokens while parsing, depth, aliases and root fields from the syntax before
validation (a document with any operation over them is refused whole, and the refusal cached
with it), introspection per caller, and the cost estimate with
the request's variables after validation (cached per operation when it has none). A refused
operation never reaches a subgraph. The time budget (``timeout_seconds``) is handed to the
executor as a deadline, which the transports turn into their own timeouts.

Field authorization (``@authenticated``/``@requiresScopes``) happens between validation and
planning: the operation is pruned for the caller's auth shape and the removed fields are
written back as null with an error after execution. Pruning and plan are cached together,
keyed by the auth shape, so callers with the same rights share both.

Everything that depends on the supergraph lives in one immutable :class:`_State`, replaced in
a single assignment by :meth:`Gateway.replace_supergraph`, so a hot reload never mixes two
schemas within one request.
"""

import asyncio
import dataclasses
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

from gateway.authorization import (
    AuthorizationPolicy,
    AuthorizationResult,
    AuthShape,
    apply_unauthorized,
    authorize_operation,
)
from gateway.federation import QueryPlan, QueryPlanner, Supergraph, execute_plan
from gateway.federation.errors import FederationError
from gateway.federation.executor.run import CANCEL_GRACE_S
from gateway.limits import (
    IntrospectionRefused,
    LimitExceeded,
    OperationGuard,
    OperationLimits,
    Shape,
    fragments_of,
    measure,
)
from gateway.limits.actual_cost import ActualCost, actual_cost
from gateway.limits.budget import BUSY, BUSY_RETRY_AFTER_S, Refusal
from gateway.limits.concurrency import Release
from gateway.plan_cache import PlanCache, PlanKey, operation_digest
from gateway.transports.router import TransportRouter
from schema.kernel.errors import ErrorCode

_log = logging.getLogger(__name__)

_DEADLINE_GRACE_S = CANCEL_GRACE_S + 1.0
"""Past the deadline, fetches end by themselves or are cancelled after ``CANCEL_GRACE_S``
(:mod:`gateway.federation.executor.run`). A request still running after this backstop
(planning, or resolvers slow to unwind their cancellation) is answered GATEWAY_TIMEOUT and
left to finish unwinding in the background rather than cancelled a second time."""

Admission = Release | Refusal | None
Admit = Callable[[int], Admission | Awaitable[Admission]]
"""Asks the caller's limits (:class:`gateway.limits.budget.AppLimits`) for an operation of
the given estimated cost: a release to call once its work has ended, or a refusal (None: a
refusal of the in-flight allowance without more to say)."""

_MAX_CACHED_QUERY_CHARS = 100_000
"""Longer query texts are parsed each time rather than pinned in the document cache."""


class Outcome(StrEnum):
    """How far a request got; the HTTP layer maps each to a status code."""

    EXECUTED = "executed"
    BAD_REQUEST = "bad_request"
    PARSE_FAILED = "parse_failed"
    VALIDATION_FAILED = "validation_failed"
    OPERATION_NOT_FOUND = "operation_not_found"
    VARIABLES_INVALID = "variables_invalid"
    MUTATION_NOT_ALLOWED = "mutation_not_allowed"
    TOO_COMPLEX = "too_complex"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    PLANNING_FAILED = "planning_failed"
    TIMED_OUT = "timed_out"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """The parameters of a GraphQL-over-HTTP request, already decoded."""

    query: str | None
    variables: Mapping[str, Any] | None = None
    operation_name: str | None = None
    extensions: Mapping[str, Any] | None = None
    """The request's ``extensions`` object (e.g. Apollo's ``persistedQuery``)."""


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """The response and how far the request got.

    ``cost`` is the operation's estimated cost once known, ``actual_cost`` what it really
    cost once it ran, ``operation_name`` the name of the operation selected (None if
    anonymous or not reached), ``retry_after`` the seconds a ``RATE_LIMITED`` caller should
    wait."""

    outcome: Outcome
    response: dict[str, Any]
    cost: int | None = None
    operation_name: str | None = None
    retry_after: int | None = None
    actual_cost: int | None = None
    """What the operation really cost (:mod:`gateway.limits.actual_cost`), once it ran."""

    @property
    def executed(self) -> bool:
        return self.outcome is Outcome.EXECUTED


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A query text parsed and validated once: the document-cache entry."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]
    outcome: Outcome
    digest: str = ""
    operations: Mapping[str | None, OperationDefinitionNode] = field(default_factory=dict)
    fragments: Mapping[str, FragmentDefinitionNode] = field(default_factory=dict)
    shapes: Mapping[str | None, Shape] = field(default_factory=dict)
    costs: dict[str | None, int | LimitExceeded] = field(default_factory=dict)
    """Costs (or refusals) of the operations without variables, kept when first run."""
    actual_costs: dict[str | None, ActualCost] = field(default_factory=dict)
    """The actual-cost walkers of the operations without variables, kept when first run."""


@dataclass(frozen=True, slots=True)
class _Planned:
    """A plan-cache entry: the plan and, for a guarded caller, what auth removed."""

    plan: QueryPlan
    authorized: AuthorizationResult | None


@dataclass(frozen=True, slots=True)
class _State:
    """Everything derived from one supergraph."""

    supergraph: Supergraph
    planner: QueryPlanner
    authorization: AuthorizationPolicy
    router: TransportRouter
    guard: OperationGuard
    plans: PlanCache[_Planned]
    documents: OrderedDict[str, _Prepared]


class Gateway:
    """Executes GraphQL requests against a supergraph through a transport router.

    ``limits`` are the operation limits; ``request_timeout`` (default: the limits'
    ``timeout_seconds``) bounds planning plus execution of one request, in seconds.
    """

    def __init__(
        self,
        supergraph: Supergraph,
        router: TransportRouter,
        *,
        limits: OperationLimits | None = None,
        request_timeout: float | None = None,
        plan_cache_size: int = 1024,
        document_cache_size: int = 1024,
    ) -> None:
        self.limits = limits or OperationLimits()
        self.request_timeout = request_timeout or self.limits.timeout_seconds
        self._plan_cache_size = plan_cache_size
        self._document_cache_size = document_cache_size
        self._state = self._build_state(supergraph, router)

    @property
    def supergraph(self) -> Supergraph:
        return self._state.supergraph

    @property
    def router(self) -> TransportRouter:
        return self._state.router

    @property
    def plan_cache(self) -> PlanCache[_Planned]:
        return self._state.plans

    @property
    def authorization(self) -> AuthorizationPolicy:
        """The current supergraph's field-authorization policy (for ``auth_shape_for``)."""
        return self._state.authorization

    def replace_supergraph(
        self, supergraph: Supergraph, router: TransportRouter | None = None
    ) -> TransportRouter:
        """Serve ``supergraph`` from now on; returns the previous router.

        The planner and fresh caches are built before the switch, which is one assignment:
        requests already running finish on the state they started with. The previous router
        is returned rather than closed because those requests may still be using it.
        """
        previous = self._state.router
        self._state = self._build_state(supergraph, router or previous)
        return previous

    def _build_state(self, supergraph: Supergraph, router: TransportRouter) -> _State:
        policy = AuthorizationPolicy.from_supergraph(parse(supergraph.sdl), supergraph.api_schema)
        return _State(supergraph, QueryPlanner(supergraph), policy, router,
                      OperationGuard(self.limits, supergraph),
                      PlanCache(self._plan_cache_size), OrderedDict())

    async def execute(
        self,
        request: GraphQLRequest,
        context: Mapping[str, Any] | None = None,
        *,
        auth_shape: AuthShape | None = None,
        allow_mutations: bool = True,
        authenticated: bool = True,
        admit: Admit | None = None,
    ) -> GatewayResult:
        """Run one request; never raises for anything the caller or a subgraph did wrong.

        ``allow_mutations=False`` is for GET requests, which must not mutate.
        ``authenticated=False`` marks an anonymous caller (for the introspection setting).
        ``auth_shape`` is the caller's shape under :attr:`authorization` (part of the
        plan-cache key); None means a trusted caller: nothing is pruned.
        ``admit(cost)`` (possibly async) asks the caller's limits for an operation of that
        estimated cost (:class:`gateway.limits.budget.AppLimits`): a :class:`Refusal` or
        None refuses it (``RATE_LIMITED`` with ``retryAfter``), else the release it returns
        is called when the operation's work has ended, which may be after a
        ``GATEWAY_TIMEOUT`` answer. Every result from the cost estimate on carries the cost.
        """
        state = self._state
        if not isinstance(request.query, str) or not request.query.strip():
            return _failure(Outcome.BAD_REQUEST, "the request has no GraphQL query",
                            ErrorCode.BAD_USER_INPUT)
        try:
            state.guard.check_text(request.query)
        except LimitExceeded as exc:
            return _refused(Outcome.TOO_COMPLEX, exc)
        prepared = self._prepare(state, request.query)
        if prepared.errors:
            return GatewayResult(prepared.outcome, {"errors": _formatted(prepared.errors)})
        operation = prepared.operations.get(request.operation_name)
        if operation is None:
            return _failure(Outcome.OPERATION_NOT_FOUND, _missing_operation(request, prepared),
                            ErrorCode.BAD_USER_INPUT)
        if operation.operation is OperationType.MUTATION and not allow_mutations:
            return _failure(Outcome.MUTATION_NOT_ALLOWED,
                            "mutations must be sent with POST, not GET", ErrorCode.BAD_USER_INPUT)
        if operation.operation is OperationType.SUBSCRIPTION:
            return _failure(Outcome.BAD_REQUEST, "subscriptions are served as event streams: "
                            "POST /graphql/stream (SSE) or a graphql-transport-ws WebSocket at "
                            "/graphql", ErrorCode.BAD_USER_INPUT)
        try:
            state.guard.check_introspection(prepared.shapes[request.operation_name],
                                            authenticated)
        except IntrospectionRefused as exc:
            outcome = (Outcome.UNAUTHENTICATED if exc.code is ErrorCode.UNAUTHENTICATED
                       else Outcome.FORBIDDEN)
            return _refused(outcome, exc)
        variables = get_variable_values(state.supergraph.api_schema,
                                        operation.variable_definitions or (),
                                        dict(request.variables or {}), max_errors=20)
        if isinstance(variables, list):
            return GatewayResult(Outcome.VARIABLES_INVALID,
                                 {"errors": _formatted(variables, ErrorCode.BAD_USER_INPUT)})
        try:
            cost = self._check_cost(state, prepared, request.operation_name, operation,
                                    variables)
        except LimitExceeded as exc:
            return dataclasses.replace(_refused(Outcome.TOO_COMPLEX, exc),
                                       cost=exc.value if exc.limit == "cost" else None)
        name = operation.name.value if operation.name else None
        release = await _admitted(admit, cost)
        if isinstance(release, Refusal):
            return GatewayResult(Outcome.RATE_LIMITED, {"errors": [{
                "message": release.message,
                "extensions": {"code": str(ErrorCode.RATE_LIMITED),
                               "retryAfter": release.retry_after}}]},
                cost, name, release.retry_after)
        deadline = time.monotonic() + self.request_timeout
        running = asyncio.ensure_future(self._run(state, prepared, name, variables.coerced,
                                                  context or {}, auth_shape, deadline))
        if release is not None:
            running.add_done_callback(lambda _: release())
        try:
            done, _ = await asyncio.wait({running},
                                         timeout=self.request_timeout + _DEADLINE_GRACE_S)
        except asyncio.CancelledError:
            running.cancel()
            raise
        if running in done:
            result = running.result()
            return dataclasses.replace(
                result, cost=cost, operation_name=name,
                actual_cost=self._actual_cost(state, prepared, operation, variables, result))
        running.add_done_callback(_late)
        return dataclasses.replace(
            _failure(Outcome.TIMED_OUT,
                     f"the request did not complete within {self.request_timeout:g} s",
                     ErrorCode.GATEWAY_TIMEOUT), cost=cost, operation_name=name)

    @staticmethod
    def _check_cost(state: _State, prepared: _Prepared, key: str | None,
                    operation: OperationDefinitionNode, variables: VariableValues) -> int:
        """The operation's estimated cost; LimitExceeded over the ceiling. Without
        variables, decided once."""
        known = prepared.costs.get(key)
        if isinstance(known, LimitExceeded):
            raise known
        if known is not None:
            return known
        try:
            cost = state.guard.cost(operation, prepared.fragments, variables)
        except LimitExceeded as exc:
            if not operation.variable_definitions:
                prepared.costs[key] = exc
            raise
        if not operation.variable_definitions:
            prepared.costs[key] = cost
        return cost

    @staticmethod
    def _actual_cost(state: _State, prepared: _Prepared, operation: OperationDefinitionNode,
                     variables: VariableValues, result: GatewayResult) -> int | None:
        """What the operation really cost (0 when planning failed: nothing ran)."""
        if result.outcome is Outcome.PLANNING_FAILED:
            return 0
        if not result.executed:
            return None
        data = result.response.get("data")
        if operation.variable_definitions:
            return actual_cost(state.guard.costs, operation, prepared.fragments, variables, data)
        name = operation.name.value if operation.name else None
        walker = prepared.actual_costs.get(name)
        if walker is None:
            walker = prepared.actual_costs[name] = ActualCost(
                state.guard.costs, operation, prepared.fragments, variables)
        return walker.of(data)

    async def _run(
        self,
        state: _State,
        prepared: _Prepared,
        operation_name: str | None,
        variables: dict[str, Any],
        context: Mapping[str, Any],
        auth_shape: AuthShape | None,
        deadline: float,
    ) -> GatewayResult:
        try:
            planned = self._cached_plan(state, prepared, operation_name, auth_shape, deadline)
        except FederationError as exc:
            if time.monotonic() > deadline:
                return _failure(Outcome.TIMED_OUT, f"query planning did not finish in time: {exc}",
                                ErrorCode.GATEWAY_TIMEOUT)
            return _failure(Outcome.PLANNING_FAILED, f"query planning failed: {exc}",
                            ErrorCode.INTERNAL_SERVER_ERROR)
        response = dict(await execute_plan(planned.plan, variables, state.router.fetch,
                                           context=context, deadline=deadline))
        if planned.authorized is not None:
            apply_unauthorized(planned.authorized, response, variables)
        return GatewayResult(Outcome.EXECUTED, response)

    @staticmethod
    def _cached_plan(state: _State, prepared: _Prepared, operation_name: str | None,
                     auth_shape: AuthShape | None, deadline: float | None = None) -> _Planned:
        document = prepared.document
        assert document is not None, "only valid documents are planned"

        def plan() -> _Planned:
            if auth_shape is None or not state.authorization.guarded:
                return _Planned(state.planner.plan(document, operation_name, deadline=deadline),
                                None)
            authorized = authorize_operation(state.authorization, document, auth_shape,
                                             operation_name)
            return _Planned(state.planner.plan(authorized.document, operation_name,
                                               deadline=deadline),
                            authorized if authorized.changed or authorized.typename_added
                            else None)

        key = PlanKey(prepared.digest, operation_name, auth_shape)
        return state.plans.get_or_plan(key, plan)

    def _prepare(self, state: _State, query: str) -> _Prepared:
        """Parse and validate ``query``, once per distinct text for this supergraph (LRU)."""
        documents = state.documents
        prepared = documents.get(query)
        if prepared is not None:
            documents.move_to_end(query)
            return prepared
        prepared = _parse_and_validate(state.supergraph, state.guard, query)
        if len(query) <= _MAX_CACHED_QUERY_CHARS:
            documents[query] = prepared
            if len(documents) > self._document_cache_size:
                documents.popitem(last=False)
        return prepared

    def plan(self, query: str, operation_name: str | None = None,
             auth_shape: AuthShape | None = None) -> QueryPlan:
        """The (cached) plan for ``query``, as ``loopgate plan`` prints it.

        Raises GraphQLError for an invalid operation and FederationError if planning fails.
        """
        state = self._state
        prepared = self._prepare(state, query)
        if prepared.errors:
            raise prepared.errors[0]
        operation = prepared.operations.get(operation_name)
        if operation is None:
            raise GraphQLError(_missing_operation(GraphQLRequest(query, None, operation_name),
                                                  prepared))
        name = operation.name.value if operation.name else None
        return self._cached_plan(state, prepared, name, auth_shape).plan


def _parse_and_validate(supergraph: Supergraph, guard: OperationGuard, query: str) -> _Prepared:
    """Parse, check each operation's shape, validate: a refusal is cached like a success."""
    try:
        document = guard.parse(query)
    except LimitExceeded as exc:
        return _Prepared(None, (_limit_error(exc),), Outcome.TOO_COMPLEX)
    except GraphQLError as error:
        return _Prepared(None, (_with_code(error, ErrorCode.GRAPHQL_PARSE_FAILED),),
                         Outcome.PARSE_FAILED)
    fragments = fragments_of(document)
    operations = _operations_by_name(document)
    try:
        shapes = {name: measure(operation, fragments) for name, operation in operations.items()}
        for shape in shapes.values():
            guard.check_shape(shape)
    except LimitExceeded as exc:
        return _Prepared(None, (_limit_error(exc),), Outcome.TOO_COMPLEX)
    errors = validate(supergraph.api_schema, document)
    if errors:
        coded = tuple(_with_code(e, ErrorCode.GRAPHQL_VALIDATION_FAILED) for e in errors)
        return _Prepared(document, coded, Outcome.VALIDATION_FAILED)
    return _Prepared(document, (), Outcome.EXECUTED, operation_digest(document), operations,
                     fragments, shapes)


def _operations_by_name(document: DocumentNode) -> dict[str | None, OperationDefinitionNode]:
    """Operations by name; a lone operation is also reachable with no name given."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    by_name: dict[str | None, OperationDefinitionNode] = {
        op.name.value: op for op in operations if op.name}
    if len(operations) == 1:
        by_name[None] = operations[0]
    return by_name


def _missing_operation(request: GraphQLRequest, prepared: _Prepared) -> str:
    if request.operation_name is None:
        return "the document has several operations: operationName must say which to run"
    named = sorted(name for name in prepared.operations if name)
    return (f"unknown operation named '{request.operation_name}'"
            f" (the document has: {', '.join(named) or 'only an anonymous operation'})")


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    extensions = error.extensions or {}
    if "code" in extensions:
        return error
    return GraphQLError(error.message, error.nodes, error.source, error.positions, error.path,
                        error.original_error, {**extensions, "code": str(code)})


def _formatted(errors: Iterable[GraphQLError], code: str | None = None) -> list[dict[str, Any]]:
    return [(_with_code(error, code) if code else error).formatted for error in errors]


def _limit_error(refusal: LimitExceeded | IntrospectionRefused) -> GraphQLError:
    return GraphQLError(refusal.message, extensions=refusal.extensions)


def _refused(outcome: Outcome, refusal: LimitExceeded | IntrospectionRefused) -> GatewayResult:
    return GatewayResult(outcome, {"errors": [_limit_error(refusal).formatted]})


async def _admitted(admit: Admit | None, cost: int) -> Release | Refusal | None:
    """What ``admit`` says about an operation of ``cost``; None: no limits to ask."""
    if admit is None:
        return None
    admission = admit(cost)
    if inspect.isawaitable(admission):
        admission = await admission
    return admission if admission is not None else Refusal(BUSY, BUSY_RETRY_AFTER_S)


def _late(running: "asyncio.Future[GatewayResult]") -> None:
    """Collect the outcome of a request answered GATEWAY_TIMEOUT before it finished."""
    if not running.cancelled() and running.exception() is not None:
        _log.warning("a timed-out request ended in error: %r", running.exception())


def _failure(outcome: Outcome, message: str, code: str) -> GatewayResult:
    return GatewayResult(outcome, {"errors": [{"message": message,
                                               "extensions": {"code": str(code)}}]})
