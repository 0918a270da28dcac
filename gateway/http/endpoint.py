"""The GraphQL-over-HTTP endpoint: GET and POST in, a GraphQL response with the spec's status.

Status codes follow the GraphQL-over-HTTP spec. With ``application/graphql-response+json``
(the default) request errors get 4xx; with ``application/json`` (legacy clients) any
well-formed request gets 200, since the client cannot trust a non-200 JSON body. Requests
that are not well-formed GraphQL-over-HTTP requests get 4xx either way. Every error carries
``extensions.code``.

Each operation holds a share of its app's in-flight allowance (operations and estimated cost,
:class:`~gateway.limits.ConcurrencyLimiter`) until its work has ended; an app over it gets 429
with ``Retry-After`` and ``RATE_LIMITED`` at once, whatever other apps are doing.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gateway.authorization import AuthShape
from gateway.http.errors import RequestRejected
from gateway.http.graphiql import graphiql_page
from gateway.http.media import MediaType, accepted
from gateway.http.request import from_post, from_query_params, read_body
from gateway.limits import ConcurrencyLimiter
from gateway.limits.caller import CallerFor, trusted_caller
from gateway.service import Gateway, GatewayResult, GraphQLRequest, Outcome
from schema.kernel.errors import ErrorCode

_log = logging.getLogger(__name__)

ContextFor = Callable[[Request], Awaitable[Mapping[str, Any]]]
AuthShapeFor = Callable[[Mapping[str, Any]], AuthShape]

RETRY_AFTER_S = 1
"""What a caller at its concurrency cap is told to wait: operations end within seconds."""

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
    ) -> None:
        self.gateway = gateway
        self.max_body_bytes = max_body_bytes or gateway.limits.body_bytes
        self.graphiql = graphiql
        self.concurrency = ConcurrencyLimiter(gateway.limits.concurrent_operations,
                                              gateway.limits.concurrent_cost)
        self._context_for = context_for or _no_context
        self._auth_shape_for = auth_shape_for
        self._caller_for = caller_for or trusted_caller

    async def handle(self, request: Request) -> Response:
        """The Starlette request handler (a bound method, so routes treat it as one)."""
        is_get = request.method in ("GET", "HEAD")
        offered = _GET_TYPES if is_get and self.graphiql else _GRAPHQL_TYPES
        media = accepted(request.headers.get("accept"), offered)
        if media is None:
            return _error(MediaType.JSON, RequestRejected(
                406, "the Accept header allows neither application/graphql-response+json "
                     "nor application/json"))
        if media is MediaType.HTML:
            return HTMLResponse(graphiql_page(request.url.path))
        try:
            graphql_request = await self._decode(request, is_get)
            context = await self._context_for(request)
        except RequestRejected as rejected:
            return _error(media, rejected)
        auth_shape = self._auth_shape_for(context) if self._auth_shape_for else None
        caller = self._caller_for(request, context)
        try:
            result = await self.gateway.execute(
                graphql_request, context, auth_shape=auth_shape, allow_mutations=not is_get,
                authenticated=caller.authenticated,
                admit=lambda cost: self.concurrency.acquire(caller.key, cost))
        except Exception:  # a bug, not the caller's fault: still answer in GraphQL's shape
            _log.exception("GraphQL request failed inside the gateway")
            return _error(media, RequestRejected(500, "internal error in the gateway",
                                                 ErrorCode.INTERNAL_SERVER_ERROR))
        return _response(media, result)

    async def _decode(self, request: Request, is_get: bool) -> GraphQLRequest:
        if is_get:
            if len(request.url.query) > self.max_body_bytes:
                raise RequestRejected(413, f"the query string is larger than the "
                                      f"{self.max_body_bytes}-byte limit",
                                      ErrorCode.PAYLOAD_TOO_LARGE)
            return from_query_params(dict(request.query_params))
        body = await read_body(request, self.max_body_bytes)
        return from_post(request.headers.get("content-type"), body)


def _response(media: MediaType, result: GatewayResult) -> Response:
    if result.outcome is Outcome.MUTATION_NOT_ALLOWED:
        return _json(media, 405, result.response, {"allow": "POST"})
    status = 200
    if media is MediaType.GRAPHQL_RESPONSE_JSON or result.outcome is Outcome.BAD_REQUEST:
        status = _REQUEST_ERROR_STATUS.get(result.outcome, 200)
    if result.outcome is Outcome.RATE_LIMITED:
        return _json(media, 429, result.response, {"Retry-After": str(RETRY_AFTER_S)})
    return _json(media, status, result.response)


def _error(media: MediaType, rejected: RequestRejected) -> Response:
    body = {"errors": [{"message": rejected.message, "extensions": {"code": rejected.code}}]}
    return _json(media, rejected.status, body, rejected.headers)


def _json(media: MediaType, status: int, body: Mapping[str, Any],
          headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers,
                    media_type=f"{media}; charset=utf-8")
