"""A subgraph over HTTP: GraphQL-over-HTTP POST with pooled connections (DESIGN.md §2).

One :class:`httpx.AsyncClient` is shared by every subgraph of a gateway, so connections are
pooled and kept alive across requests. Bodies are encoded and decoded with orjson; gzip and
brotli response compression are accepted (httpx decodes them). Any failure to obtain a GraphQL
response becomes :class:`SubgraphUnavailable` with the reason, so the executor can report a
partial result instead of failing the whole request.
"""

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import orjson

from gateway.transports.base import SubgraphRequest, SubgraphUnavailable

HeadersFor = Callable[[SubgraphRequest], Mapping[str, str]]

_ACCEPT = "application/graphql-response+json, application/json;q=0.9"
_BASE_HEADERS = {"content-type": "application/json", "accept": _ACCEPT}


def http_client(
    *, timeout: float = 30.0, connect_timeout: float = 5.0, max_connections: int = 256
) -> httpx.AsyncClient:
    """A pooled client sized for ~50 concurrent callers fanning out to a few subgraphs."""
    limits = httpx.Limits(max_connections=max_connections,
                          max_keepalive_connections=max_connections, keepalive_expiry=30.0)
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=connect_timeout),
                             limits=limits, follow_redirects=False)


def encode_request(request: SubgraphRequest) -> bytes:
    """The GraphQL-over-HTTP JSON body of a subgraph request."""
    body: dict[str, Any] = {"query": request.query}
    if request.variables:
        body["variables"] = request.variables
    if request.operation_name:
        body["operationName"] = request.operation_name
    return orjson.dumps(body)


class HttpTransport:
    """Executes subgraph requests by POSTing them to one subgraph URL.

    ``client`` is usually shared between transports and owned by the caller; when omitted
    the transport makes its own and closes it in :meth:`close`. ``headers_for`` adds
    per-request headers (the auth layer's signed context header).
    """

    def __init__(
        self,
        subgraph: str,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        headers_for: HeadersFor | None = None,
    ) -> None:
        self.subgraph = subgraph
        self.url = url
        self._owns_client = client is None
        self._client = client or http_client()
        self._headers = {**_BASE_HEADERS, **(headers or {})}
        self._headers_for = headers_for

    async def execute(self, request: SubgraphRequest) -> Mapping[str, Any]:
        headers = self._headers
        if self._headers_for is not None:
            headers = {**headers, **self._headers_for(request)}
        try:
            reply = await self._client.post(self.url, content=encode_request(request),
                                            headers=headers)
        except httpx.TimeoutException as exc:
            raise self._unavailable(f"timed out ({type(exc).__name__}) at {self.url}") from exc
        except httpx.ConnectError as exc:
            raise self._unavailable(f"cannot connect to {self.url} ({exc})") from exc
        except httpx.HTTPError as exc:
            raise self._unavailable(f"HTTP error at {self.url}: {exc!r}") from exc
        return self._graphql_body(reply)

    def _graphql_body(self, reply: httpx.Response) -> Mapping[str, Any]:
        """The decoded GraphQL response, or SubgraphUnavailable saying what came instead.

        A non-2xx reply still counts when it carries a GraphQL response (the
        graphql-response+json media type uses 4xx for request errors).
        """
        ok = reply.is_success
        try:
            body = orjson.loads(reply.content)
        except orjson.JSONDecodeError as exc:
            reason = "invalid JSON in response" if ok else _status_reason(reply)
            raise self._unavailable(reason) from exc
        if isinstance(body, dict) and ("data" in body or "errors" in body):
            return body
        raise self._unavailable("response is not a GraphQL response" if ok
                                else _status_reason(reply))

    def _unavailable(self, reason: str) -> SubgraphUnavailable:
        return SubgraphUnavailable(self.subgraph, reason)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _status_reason(reply: httpx.Response) -> str:
    return f"HTTP {reply.status_code} {reply.reason_phrase} from {reply.request.url}"
