"""The GraphQL-over-HTTP endpoint: GET and POST in, a GraphQL response with the spec's status.

Status codes follow the GraphQL-over-HTTP spec. With ``application/graphql-response+json``
(the default) request errors get 4xx; with ``application/json`` (legacy clients) any
well-formed request gets 200, since the client cannot trust a non-200 JSON body. Requests
that are not well-formed GraphQL-over-HTTP requests get 4xx either way. Every error carries
``extensions.code``.

Before an operation runs, its app's limits (:class:`~gateway.limits.budget.AppLimits`) take
its estimated cost from the app's cost bucket and a share of its in-flight allowance; an app
over either gets 429 with ``Retry-After`` and ``RATE_LIMITED`` (with ``retryAfter``) at once,
whatever other apps are doing, and no subgraph is called. Every response once the caller is
known (all but malformed requests and 401s) carries ``extensions.cost`` as Shopify's GraphQL
Admin API does:
``{"requestedQueryCost": n | null, "actualQueryCost": n | null, "throttleStatus":
{"maximumAvailable": m, "currentlyAvailable": c, "restoreRate": r}}``: the requested cost is
null when the request failed before its cost was known, the actual cost null unless the
operation ran (or failed planning: 0); what the estimate overstated is refunded before
``currentlyAvailable`` is read.

A request naming a persisted operation (``extensions.persistedQuery``) or sent by a
safelist-only app is resolved by :class:`~gateway.persisted.PersistedOperations` after the
caller is known and before any limit or subgraph: its refusal is answered with its code and
status.

For metrics and logs, each request handled here leaves on ``request.state``:
``graphql_operation`` (the operation's name, or None), ``graphql_outcome`` (the
:class:`~gateway.service.Outcome` value; ``"rejected"`` for a request refused before the
gateway ran it: malformed, unauthenticated, an unknown persisted query; None for the
GraphiQL page) and ``graphql_error_codes`` (the ``extensions.code`` of each error of the
response, in order).
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway.authorization import AuthShape
from gateway.authorization.wiring import principal_of
from gateway.http.errors import RequestRejected
from gateway.http.graphiql import graphiql_page
from gateway.http.media import MediaType, accepted
from gateway.http.request import from_post, from_query_params, read_body
from gateway.limits.budget import AppLimits
from gateway.limits.caller import Caller, CallerFor, trusted_caller
from gateway.persisted import PersistedOperationError, PersistedOperations
from gateway.service import Gateway, GatewayResult, GraphQLRequest, Outcome
from partners.usage import UsageRecorder
from schema.kernel.errors import ErrorCode

_log = logging.getLogger(__name__)

ContextFor = Callable[[Request], Awaitable[Mapping[str, Any]]]
AuthShapeFor = Callable[[Mapping[str, Any]], AuthShape]
LimitsFor = Callable[[Mapping[str, Any]], AppLimits]
"""The limits a request counts against, from its context (e.g. the sandbox's for a sandbox
app, whose budgets live in the sandbox database)."""
GatewayFor = Callable[[Mapping[str, Any]], Gateway]
"""The gateway serving a request, from its context (``loopgate serve``: the sandbox graph's
for a sandbox token, :class:`gateway.partner_graph.graphs.Graphs`)."""
PersistedFor = Callable[[Mapping[str, Any]], PersistedOperations]
"""The persisted operations of a request's graph, from its context (each validates APQ
registrations against its own graph's schema)."""

REJECTED = "rejected"
"""``request.state.graphql_outcome`` of a request refused before the gateway ran it."""

_GRAPHQL_TYPES = (MediaType.GRAPHQL_RESPONSE_JSON, MediaType.JSON)
_GET_TYPES = (*_GRAPHQL_TYPES, MediaType.HTML)
_REQUEST_ERROR_STATUS = {
    Outcome.BAD_REQUEST: 400,
    Outcome.PARSE_FAILED: 400,
    Outcome.VALIDATION_FAILED: 400,
    Outcome.OPERATION_NOT_FOUND: 400,
    Outcome.VARIABLES_INVALID: 400,
    Outcome.TOO_COMPLEX: 400,
    Outcome.UNAUTHENTICATED: 401,
    Outcome.FORBIDDEN: 403,
    Outcome.PLANNING_FAILED: 500,
    Outcome.TIMED_OUT: 504,
}


async def _no_context(_request: Request) -> Mapping[str, Any]:
    return {}


class GraphQLEndpoint:
    """A Starlette endpoint serving ``gateway``.

    ``context_for`` builds the per-request context handed to subgraphs (the auth layer's
    principal; none: an empty context) and may raise :class:`RequestRejected` (e.g. 401);
    ``auth_shape_for`` derives the plan-cache authorization shape from that context;
    ``caller_for`` names the app the request counts against (default: every caller trusted,
    one app per address). ``max_body_bytes`` defaults to the gateway's ``body_bytes`` limit.
    ``limits`` are the apps' cost buckets and in-flight allowances, or a function choosing
    them from the context (default: this process's memory, for a gateway without a
    database). ``persisted`` resolves persisted operations, or a function choosing them from
    the context (default: none; a request with only ``extensions.persistedQuery`` is then
    refused as PERSISTED_QUERY_NOT_SUPPORTED). ``gateway_for`` picks the gateway of each
    request from its context (default: ``gateway``, which also sets the body limit).
    ``usage`` counts each answered request of a known app, and whether it had errors, for
    that app's usage (:mod:`partners.usage`; default: not counted).
    """

    def __init__(
        self,
        gateway: Gateway,
        *,
        max_body_bytes: int | None = None,
        graphiql: bool = True,
        context_for: ContextFor | None = None,
        auth_shape_for: AuthShapeFor | None = None,
        caller_for: CallerFor | None = None,
        limits: AppLimits | LimitsFor | None = None,
        persisted: PersistedOperations | PersistedFor | None = None,
        gateway_for: GatewayFor | None = None,
        usage: UsageRecorder | None = None,
    ) -> None:
        self.gateway = gateway
        self.max_body_bytes = max_body_bytes or gateway.limits.body_bytes
        self.graphiql = graphiql
        if limits is None:
            limits = AppLimits.in_memory(gateway.limits)
        self.limits = limits
        self._limits_for: LimitsFor = (limits if not isinstance(limits, AppLimits)
                                       else lambda _context: limits)
        self._context_for = context_for or _no_context
        self._auth_shape_for = auth_shape_for
        self._caller_for = caller_for or trusted_caller
        self._persisted_for: PersistedFor | None = (
            persisted if persisted is None or not isinstance(persisted, PersistedOperations)
            else lambda _context: persisted)
        self._gateway_for: GatewayFor = gateway_for or (lambda _context: gateway)
        self._usage = usage

    async def handle(self, request: Request) -> Response:
        """The Starlette request handler (a bound method, so routes treat it as one); once
        answered, the request counts for its app's usage (errors: any error in the answer)."""
        response = await self._handle(request)
        client_id = request.state.graphql_client_id
        if self._usage is not None and client_id is not None:
            self._usage.record(client_id, error=bool(request.state.graphql_error_codes))
        return response

    async def _handle(self, request: Request) -> Response:
        request.state.graphql_client_id = None
        request.state.graphql_operation = None
        request.state.graphql_outcome = REJECTED
        request.state.graphql_error_codes = []
        is_get = request.method in ("GET", "HEAD")
        offered = _GET_TYPES if is_get and self.graphiql else _GRAPHQL_TYPES
        media = accepted(request.headers.get("accept"), offered)
        if media is None:
            return _error(request, MediaType.JSON, RequestRejected(
                406, "the Accept header allows neither application/graphql-response+json "
                     "nor application/json"))
        if media is MediaType.HTML:
            request.state.graphql_outcome = None
            return HTMLResponse(graphiql_page(request.url.path))
        try:
            graphql_request = await self._decode(request, is_get)
            context = await self._context_for(request)
        except RequestRejected as rejected:
            return _error(request, media, rejected)
        principal = principal_of(context)
        request.state.graphql_client_id = principal.client_id if principal else None
        request.state.graphql_operation = graphql_request.operation_name
        caller = self._caller_for(request, context)
        limits = self._limits_for(context)
        try:
            graphql_request = await self._resolve(graphql_request, context)
        except PersistedOperationError as refused:
            return _error(request, media, RequestRejected(
                refused.status, refused.message, refused.code, dict(refused.headers)),
                _cost(limits, caller, None, None))
        auth_shape = self._auth_shape_for(context) if self._auth_shape_for else None
        try:
            result = await self._gateway_for(context).execute(
                graphql_request, context, auth_shape=auth_shape, allow_mutations=not is_get,
                authenticated=caller.authenticated,
                admit=lambda cost: limits.admit(caller.key, cost))
        except Exception:  # a bug, not the caller's fault: still answer in GraphQL's shape
            _log.exception("GraphQL request failed inside the gateway")
            return _error(request, media, RequestRejected(500, "internal error in the gateway",
                                                          ErrorCode.INTERNAL_SERVER_ERROR))
        if result.cost is not None and result.actual_cost is not None:
            limits.refund(caller.key, result.cost - result.actual_cost)
        response = {**result.response, "extensions": {
            **result.response.get("extensions", {}),
            **_cost(limits, caller, result.cost, result.actual_cost)}}
        request.state.graphql_operation = (result.operation_name
                                           or graphql_request.operation_name)
        request.state.graphql_outcome = result.outcome.value
        request.state.graphql_error_codes = _codes(response)
        return _response(media, result, response)

    async def _resolve(self, graphql_request: GraphQLRequest,
                       context: Mapping[str, Any]) -> GraphQLRequest:
        """The request with its persisted operation's text; PersistedOperationError."""
        if self._persisted_for is None:
            if graphql_request.query is None:
                raise PersistedOperationError(
                    ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
                    "this gateway does not serve persisted queries: send the query text", 400)
            return graphql_request
        principal = principal_of(context)
        return await self._persisted_for(context).resolve(
            graphql_request, client_id=principal.client_id if principal else None,
            sandbox=principal.sandbox if principal else None)

    async def _decode(self, request: Request, is_get: bool) -> GraphQLRequest:
        if is_get:
            if len(request.url.query) > self.max_body_bytes:
                raise RequestRejected(413, f"the query string is larger than the "
                                      f"{self.max_body_bytes}-byte limit",
                                      ErrorCode.PAYLOAD_TOO_LARGE)
            return from_query_params(dict(request.query_params))
        body = await read_body(request, self.max_body_bytes)
        return from_post(request.headers.get("content-type"), body)


def _cost(limits: AppLimits, caller: Caller, cost: int | None,
          actual: int | None) -> dict[str, Any]:
    """``extensions.cost`` for ``caller`` after an operation estimated at ``cost`` that
    really cost ``actual`` (None: unknown)."""
    return {"cost": {"requestedQueryCost": cost, "actualQueryCost": actual,
                     "throttleStatus": limits.throttle_status(caller.key)}}


def _codes(body: Mapping[str, Any]) -> list[str]:
    return [str(code) for error in body.get("errors") or ()
            if isinstance(code := (error.get("extensions") or {}).get("code"), str)]


def _response(media: MediaType, result: GatewayResult, body: Mapping[str, Any]) -> Response:
    if result.outcome is Outcome.MUTATION_NOT_ALLOWED:
        return _json(media, 405, body, {"allow": "POST"})
    if result.outcome is Outcome.RATE_LIMITED:
        return _json(media, 429, body, {"Retry-After": str(result.retry_after or 1)})
    status = 200
    if media is MediaType.GRAPHQL_RESPONSE_JSON or result.outcome is Outcome.BAD_REQUEST:
        status = _REQUEST_ERROR_STATUS.get(result.outcome, 200)
    return _json(media, status, body)


def _error(request: Request, media: MediaType, rejected: RequestRejected,
           extensions: Mapping[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"errors": [{"message": rejected.message,
                                        "extensions": {"code": rejected.code}}]}
    if extensions:
        body["extensions"] = dict(extensions)
    request.state.graphql_error_codes = [rejected.code]
    return _json(media, rejected.status, body, rejected.headers)


def _json(media: MediaType, status: int, body: Mapping[str, Any],
          headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers,
                    media_type=f"{media}; charset=utf-8")
