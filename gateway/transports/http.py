"""A subgraph over HTTP: GraphQL-over-HTTP POST with pooled connections (DESIGN.md §2).

One :class:`aiohttp.ClientSession` is shared by every subgraph of a gateway, so connections
are pooled and kept alive across requests. aiohttp rather than httpx because the client is
the gateway's hottest path: measured on the benchmark's subgraphs, httpx spent 1.2 ms of CPU
per call (3.3 ms at 50 concurrent callers, its pool contends) against 0.25 ms for aiohttp.
A request's remaining time budget becomes its total timeout, so a call never outlives the
operation that made it. Bodies are encoded and decoded with orjson; gzip and brotli
response compression are accepted and decoded. Any failure to obtain a GraphQL response becomes
:class:`SubgraphUnavailable` with the reason, so the executor can report a partial result.

Identical queries in flight at once share one call (:mod:`gateway.transports.dedup`): same
transport (so same URL), same body bytes, same headers. Headers include everything the
subgraph sees of the caller (``Loopgate-Context``, ``Authorization``, anything ``headers_for``
adds), so callers with different identities never share an answer. Only the correlation
headers (request id, W3C trace context) are left out of the key, since they differ on every
request: merged callers' call carries the first caller's request id and trace. Mutations are
never merged: each must run once per caller.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp
import orjson

from gateway.transports.base import SubgraphRequest, SubgraphUnavailable, is_query
from gateway.transports.dedup import InFlight

HeadersFor = Callable[[SubgraphRequest], Mapping[str, str]]
Reply = tuple[int, str, bytes]
"""What a subgraph call yields, shared between merged callers: status, reason, body bytes."""

CORRELATION_HEADERS = frozenset({"x-request-id", "traceparent", "tracestate"})
"""Headers that differ per request without changing the answer: not part of the dedup key."""

_ACCEPT = "application/graphql-response+json, application/json;q=0.9"
_BASE_HEADERS = {"content-type": "application/json", "accept": _ACCEPT}


def http_session(
    *, timeout: float = 30.0, connect_timeout: float = 5.0, max_connections: int = 256
) -> aiohttp.ClientSession:
    """A pooled session sized for ~50 concurrent callers fanning out to a few subgraphs.

    Must be created inside a running event loop; whoever creates it closes it. Idle
    connections are dropped after 4 s, before the usual 5 s server keep-alive (uvicorn, Node)
    closes them under a request about to reuse one.
    """
    connector = aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=4.0)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout),
        raise_for_status=False,
    )


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

    ``session`` is usually shared between transports and owned by the caller; when omitted
    the transport opens its own on first use and closes it in :meth:`close`.
    ``headers_for`` adds per-request headers (the auth layer's signed context header).
    ``dedup`` shares one call among identical concurrent queries (see the module docstring);
    ``dedup_ignored_headers`` (lower case) are left out of its key. ``max_response_bytes``
    bounds an answer's body (a subgraph we do not run, a partner's, must not fill the
    gateway's memory): a longer one is SUBGRAPH_UNAVAILABLE; None reads any size.
    """

    def __init__(
        self,
        subgraph: str,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        headers: Mapping[str, str] | None = None,
        headers_for: HeadersFor | None = None,
        dedup: bool = True,
        dedup_ignored_headers: Iterable[str] = CORRELATION_HEADERS,
        max_response_bytes: int | None = None,
    ) -> None:
        self.subgraph = subgraph
        self.url = url
        self._owns_session = session is None
        self._session = session
        self._headers = {**_BASE_HEADERS, **(headers or {})}
        self._headers_for = headers_for
        self._in_flight: InFlight[Reply] | None = InFlight() if dedup else None
        self._ignored = frozenset(name.lower() for name in dedup_ignored_headers)
        self._max_bytes = max_response_bytes

    bounds_itself = True
    """Each call ends at its request's deadline by itself (the client's total timeout, or a
    merged caller's own bound), so :class:`~gateway.transports.resilience.Resilient` needs
    no timer of its own around it."""

    async def execute(self, request: SubgraphRequest) -> Mapping[str, Any]:
        extra: Mapping[str, str] = {}
        if self._headers_for is not None:
            extra = self._headers_for(request)
        if self._session is None:
            self._session = http_session()
        body = encode_request(request)
        if self._in_flight is None or not is_query(request.document, request.operation_name):
            reply = await self._post(body, extra, request)
        else:
            ignored = self._ignored
            caller = [(name.lower(), value) for name, value in extra.items()
                      if name.lower() not in ignored]
            if len(caller) > 1:
                caller.sort()
            try:
                reply = await self._in_flight.run(
                    (body, *caller), lambda: self._post(body, extra, request), request.deadline)
            except TimeoutError as exc:  # a merged caller's own deadline came first
                raise self._unavailable(f"timed out waiting for {self.url}") from exc
        return self._graphql_body(*reply)

    async def _post(self, body: bytes, extra: Mapping[str, str],
                    request: SubgraphRequest) -> Reply:
        """The call itself (made by the first of merged callers only: the others need
        neither its headers nor its timeout)."""
        assert self._session is not None
        headers = {**self._headers, **extra} if extra else self._headers
        try:
            async with self._session.post(self.url, data=body, headers=headers,
                                          timeout=self._timeout(request)) as reply:
                return reply.status, reply.reason or "", await self._read(reply)
        except TimeoutError as exc:
            raise self._unavailable(f"timed out waiting for {self.url}") from exc
        except aiohttp.ClientConnectorError as exc:
            raise self._unavailable(f"cannot connect to {self.url} ({exc.os_error})") from exc
        except aiohttp.ClientError as exc:
            raise self._unavailable(f"HTTP error at {self.url}: {exc!r}") from exc

    async def _read(self, reply: aiohttp.ClientResponse) -> bytes:
        """The whole body, or SUBGRAPH_UNAVAILABLE once it passes ``max_response_bytes``."""
        if self._max_bytes is None:
            return await reply.read()
        if (reply.content_length or 0) > self._max_bytes:
            raise self._unavailable(f"response larger than {self._max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in reply.content.iter_any():
            size += len(chunk)
            if size > self._max_bytes:
                raise self._unavailable(f"response larger than {self._max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _timeout(self, request: SubgraphRequest) -> aiohttp.ClientTimeout:
        """The session's timeouts, the total cut to what is left of the time budget."""
        assert self._session is not None
        default = self._session.timeout
        remaining = request.remaining()
        if remaining is None or (default.total is not None and remaining >= default.total):
            return default  # no new ClientTimeout (an attrs object: slow to build) per call
        return aiohttp.ClientTimeout(total=remaining, sock_connect=default.sock_connect)

    def _graphql_body(self, status: int, reason: str, content: bytes) -> Mapping[str, Any]:
        """The decoded GraphQL response, or SubgraphUnavailable saying what came instead.

        A non-2xx reply still counts when it carries a GraphQL response (the
        graphql-response+json media type uses 4xx for request errors). Decoded per caller:
        merged callers each get their own objects to merge into their responses.
        """
        ok = 200 <= status < 300
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise self._unavailable("invalid JSON in response" if ok
                                    else self._status_reason(status, reason)) from exc
        if isinstance(body, dict) and ("data" in body or "errors" in body):
            return body
        raise self._unavailable("response is not a GraphQL response" if ok
                                else self._status_reason(status, reason))

    def _status_reason(self, status: int, reason: str) -> str:
        return f"HTTP {status} {reason} from {self.url}"

    def _unavailable(self, reason: str) -> SubgraphUnavailable:
        return SubgraphUnavailable(self.subgraph, reason)

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
