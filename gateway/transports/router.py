"""Subgraph name → transport: the ``fetch`` callable the executor is given.

A gateway holds one router per supergraph. Building the HTTP side from the supergraph's
``join__Graph`` URLs is what lets ``loopgate gateway`` front any federated system; the
all-in-one server puts in-process transports for the platform subgraphs in the same map.
"""

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import aiohttp
from graphql import GraphQLSchema, parse

from gateway.transports.base import SubgraphRequest, SubgraphUnavailable, Transport
from gateway.transports.http import HeadersFor, HttpTransport
from gateway.transports.in_process import ContextFactory, InProcessTransport

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
    ) -> "TransportRouter":
        """Every subgraph over HTTP at its supergraph URL, sharing ``session``'s pool."""
        return cls({subgraph.name: HttpTransport(subgraph.name, subgraph.url, session=session,
                                                 headers_for=headers_for)
                    for subgraph in subgraphs})

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

    def with_transports(self, transports: Mapping[str, Transport]) -> "TransportRouter":
        """A new router with ``transports`` added or replacing existing entries."""
        return TransportRouter({**self._transports, **transports})

    async def fetch(self, request: SubgraphRequest) -> Mapping[str, Any]:
        transport = self._transports.get(request.subgraph)
        if transport is None:
            raise SubgraphUnavailable(request.subgraph, "no transport is configured for it")
        return await transport.execute(request)

    async def probe(self, subgraph: str) -> None:
        """Raise :class:`SubgraphUnavailable` unless ``subgraph`` answers ``{ __typename }``."""
        response = await self.fetch(SubgraphRequest(subgraph, _PROBE, _PROBE_DOCUMENT, {}))
        if response.get("errors") or not response.get("data"):
            raise SubgraphUnavailable(subgraph, f"probe failed: {response.get('errors')}")

    async def close(self) -> None:
        for transport in self._transports.values():
            await transport.close()
