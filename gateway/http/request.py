"""Decoding a GraphQL-over-HTTP request (GET query string or POST JSON body).

Anything that is not a well-formed GraphQL-over-HTTP request raises :class:`RequestRejected`
with the status the spec asks for: 400 for bad JSON or parameters, 413 for an oversized
body, 415 for a body that is not JSON.
"""

from typing import Any

import orjson
from starlette.requests import Request

from gateway.http.errors import RequestRejected
from gateway.service import GraphQLRequest
from schema.kernel.errors import ErrorCode


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def from_post(content_type: str | None, body: bytes) -> GraphQLRequest:
    """The request in a POST body, which must be ``application/json`` in UTF-8."""
    media, _, params = (content_type or "").partition(";")
    if media.strip().lower() not in ("application/json", "application/graphql-response+json"):
        raise RequestRejected(415, f"unsupported content type '{content_type or ''}': send "
                              "the request as application/json")
    charset = _charset(params)
    if charset not in (None, "utf-8", "utf8"):
        raise RequestRejected(415, f"unsupported charset '{charset}': send UTF-8")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RequestRejected(400, f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise RequestRejected(400, "the request body must be a JSON object")
    return _graphql_request(payload)


def from_query_params(params: dict[str, str]) -> GraphQLRequest:
    """The request in a GET query string; ``variables`` and ``extensions`` are JSON text."""
    payload: dict[str, Any] = dict(params)
    for name in ("variables", "extensions"):
        if name in payload:
            try:
                payload[name] = orjson.loads(payload[name])
            except orjson.JSONDecodeError as exc:
                raise RequestRejected(400, f"the '{name}' parameter is not valid JSON") from exc
    return _graphql_request(payload)


def _graphql_request(payload: dict[str, Any]) -> GraphQLRequest:
    """The decoded request; ``query`` may be absent only when ``extensions`` names a
    persisted query (resolved to its text before the gateway runs it)."""
    query = payload.get("query")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestRejected(400, "'extensions' must be a JSON object")
    persisted = extensions is not None and "persistedQuery" in extensions
    if not isinstance(query, str) and not (query is None and persisted):
        raise RequestRejected(400, "the request must have a 'query' string")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestRejected(400, "'variables' must be a JSON object")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestRejected(400, "'operationName' must be a string")
    return GraphQLRequest(query, variables, operation_name or None, extensions)


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _too_large(limit: int) -> RequestRejected:
    return RequestRejected(413, f"the request is larger than the {limit}-byte limit",
                           ErrorCode.PAYLOAD_TOO_LARGE)
