"""Subgraph name → transport: the ``fetch`` callable the executor is given.

A gateway holds one router per supergraph. Building the HTTP side from the supergraph's
``join__Graph`` URLs is what lets ``loopgate gateway`` front any federated system; the
all-in-one server puts in-process transports for the platform subgraphs in the same map.

HTTP subgraphs get a per-subgraph timeout, query retries and a circuit breaker
(:mod:`gateway.transports.resilience`), and each call carries the request id and the W3C
trace context besides the caller's own ``headers_for``. In-process subgraphs need neither:
they cannot be unreachable, the operation's budget already bounds them, and they read the
request id and the span from the context they run in. Every fetch, whatever its transport,
is measured and traced for the request being served (:mod:`gateway.observability.fetches`).
"""

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import aiohttp
from graphql import GraphQLSchema, parse

from gateway.observability.fetches import observed_fetch, trace_headers
from gateway.observability.request_id import request_id_headers
from gateway.transports.base import SubgraphRequest, SubgraphUnavailable, Transport
from gateway.transports.http import HeadersFor, HttpTransport
from gateway.transports.in_process import ContextFactory, InProcessTransport
from gateway.transports.resilience import CircuitOpen, ResilienceSettings, resilient

_PROBE = "query __LoopgateProbe { __typename }"
_PROBE_DOCUMENT = parse(_PROBE)


class _Subgraph(Protocol):
    name: str
    url: str


class TransportRouter:
    """Routes each subgraph request to the transport registered for its subgraph."""

    def __init__(self, transports: Mapping[str, Transport]) -> None:
        self._transports = dict(transports)

    @classmethod
    def over_http(
        cls,
        subgraphs: Iterable[_Subgraph],
        session: aiohttp.ClientSession,
        *,
        headers_for: HeadersFor | None = None,
        resilience: ResilienceSettings | None = None,
        dedup: bool = True,
    ) -> "TransportRouter":
        """Every subgraph over HTTP at its supergraph URL, sharing ``session``'s pool, each
        with its :class:`ResilienceSettings` policy (default: from the environment);
        ``dedup`` lets identical in-flight queries share one call."""
        headers = combined_headers(headers_for)
        return cls(resilient({subgraph.name: HttpTransport(subgraph.name, subgraph.url,
                                                           session=session, headers_for=headers,
                                                           dedup=dedup)
                              for subgraph in subgraphs}, resilience))

    @classmethod
    def in_process(
        cls, schemas: Mapping[str, GraphQLSchema], context_factory: ContextFactory = dict
    ) -> "TransportRouter":
        """Every subgraph executed in this process (for Strawberry: ``schema._schema``)."""
        return cls({name: InProcessTransport(schema, context_factory)
                    for name, schema in schemas.items()})

    @property
    def subgraphs(self) -> frozenset[str]:
        return frozenset(self._transports)

    def transport(self, subgraph: str) -> Transport | None:
        """The transport calls to ``subgraph`` go through (None: no such subgraph)."""
        return self._transports.get(subgraph)

    def with_transports(self, transports: Mapping[str, Transport]) -> "TransportRouter":
        """A new router with ``transports`` added or replacing existing entries."""
        return TransportRouter({**self._transports, **transports})

    async def fetch(self, request: SubgraphRequest) -> Mapping[str, Any]:
        transport = self._transports.get(request.subgraph)
        if transport is None:
            raise SubgraphUnavailable(request.subgraph, "no transport is configured for it")
        return await observed_fetch(request, transport.execute, failure_kind)

    async def probe(self, subgraph: str) -> None:
        """Raise :class:`SubgraphUnavailable` unless ``subgraph`` answers ``{ __typename }``."""
        response = await self.fetch(SubgraphRequest(subgraph, _PROBE, _PROBE_DOCUMENT, {}))
        if response.get("errors") or not response.get("data"):
            raise SubgraphUnavailable(subgraph, f"probe failed: {response.get('errors')}")

    async def close(self) -> None:
        for transport in self._transports.values():
            await transport.close()


def combined_headers(headers_for: HeadersFor | None) -> HeadersFor:
    """The request id and trace context headers, then ``headers_for``'s."""

    def headers(request: SubgraphRequest) -> Mapping[str, str]:
        combined = {**request_id_headers(request), **trace_headers(request)}
        if headers_for is not None:
            combined.update(headers_for(request))
        return combined

    return headers


def failure_kind(error: BaseException) -> str:
    """The metrics label of a failed fetch."""
    if isinstance(error, CircuitOpen):
        return "circuit_open"
    if isinstance(error, SubgraphUnavailable):
        return "unavailable"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return "transport_error"
