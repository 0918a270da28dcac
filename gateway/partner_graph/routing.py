"""Routers for supergraphs that mix platform subgraphs (in-process) and partner subgraphs.

Any subgraph of a supergraph that is not a platform subgraph is a partner's, reached over
HTTP at its ``join__graph`` URL, and treated as untrusted:

* The call goes through :func:`partners.urls.guarded_session`: every address a name
  resolves to is checked when each connection is made (DNS rebinding), a literal IP host
  before each request, and a redirect is refused rather than followed (it could point at
  the private network). ``LOOPGATE_ALLOW_NETWORKS`` opens networks, as for webhooks; plain
  ``http`` is called only there (:func:`partners.subgraphs.fetch.check_subgraph_url`, the
  registration's rule, checked again before each call).
* It carries a ``Loopgate-Context`` token minted for that subgraph (``aud`` = its name,
  issuer = the OAuth issuer, signed with the auth service's keys, which every process shares
  through the database and publishes at ``/.well-known/jwks.json``); never the caller's
  bearer token.
* It has its own timeout, ``LOOPGATE_PARTNER_SUBGRAPH_TIMEOUT_S`` (default 5 s; a
  per-subgraph ``timeout_s`` in ``LOOPGATE_SUBGRAPHS`` wins), with the resilience layer's
  query-only retries and circuit breaker (:mod:`gateway.transports.resilience`).
* Its answers are read up to ``LOOPGATE_PARTNER_SUBGRAPH_MAX_RESPONSE_BYTES`` (default
  8 MiB): a longer one is that subgraph's SUBGRAPH_UNAVAILABLE, never the process's memory.

A hot reload builds a new router (:meth:`GraphRouters.router_for`) that reuses the
process's in-process transports and the transports of partner subgraphs whose URL did not
change (their circuit breakers and in-flight de-duplication carry over); the previous
router stays usable by the requests still running on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import ClientHandlerType, ClientMiddlewareType, ClientRequest, ClientResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from auth.context import ContextTokenSigner
from gateway.authorization.wiring import context_headers
from gateway.federation import Supergraph
from gateway.transports.base import SubgraphRequest, SubgraphUnavailable, Transport
from gateway.transports.http import HttpTransport
from gateway.transports.resilience import (
    ResilienceSettings,
    Resilient,
    SubgraphPolicy,
)
from gateway.transports.router import TransportRouter, combined_headers
from partners.subgraphs.fetch import check_subgraph_url
from partners.urls import NetworkPolicy, UnsafeUrl, guarded_session

CONNECT_TIMEOUT_S = 3.0


class PartnerSubgraphSettings(BaseSettings):
    """``LOOPGATE_PARTNER_SUBGRAPH_TIMEOUT_S``: most time one call to a partner subgraph
    may take (it may be less: what is left of the operation's budget);
    ``LOOPGATE_PARTNER_SUBGRAPH_MAX_RESPONSE_BYTES``: the largest answer read from one."""

    model_config = SettingsConfigDict(env_prefix="LOOPGATE_PARTNER_SUBGRAPH_", extra="ignore")

    timeout_s: float = Field(default=5.0, gt=0, le=60)
    max_response_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)


class RefusedCall(aiohttp.ClientError):
    """A partner subgraph call stopped before or after the request: an address Loopgate does
    not call, or a redirect it does not follow."""


def refusing_unsafe(policy: NetworkPolicy) -> ClientMiddlewareType:
    """The session middleware of partner calls: each request's URL is checked (literal IP
    hosts never reach the guarded resolver; plain ``http`` only to networks the operator
    allowed, as at registration), the resolver's refusal becomes a :class:`RefusedCall`,
    and a redirect is refused instead of followed."""

    async def middleware(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        try:
            if request.url.scheme == "http":
                await check_subgraph_url(str(request.url), policy)
            else:
                policy.check_url(str(request.url))
            response = await handler(request)
        except UnsafeUrl as exc:
            raise RefusedCall(str(exc)) from exc
        if 300 <= response.status < 400:
            response.release()
            raise RefusedCall(f"answered HTTP {response.status} (a redirect to "
                              f"{response.headers.get('location', 'nowhere')!r}); partner "
                              "subgraph calls do not follow redirects")
        return response

    return middleware


class RefusedSubgraph:
    """The transport of a partner subgraph whose URL may not be called: each fetch fails
    with the reason, the rest of the graph keeps answering."""

    def __init__(self, subgraph: str, reason: str) -> None:
        self.subgraph = subgraph
        self.reason = reason

    async def execute(self, request: SubgraphRequest) -> Mapping[str, Any]:
        raise SubgraphUnavailable(self.subgraph, self.reason)

    async def close(self) -> None:
        """Nothing to release."""


class PartnerTransports:
    """Makes partner subgraph transports over one guarded session (created on first use,
    inside the event loop; :meth:`close` at shutdown)."""

    def __init__(self, signer: ContextTokenSigner, *, network: NetworkPolicy | None = None,
                 settings: PartnerSubgraphSettings | None = None,
                 resilience: ResilienceSettings | None = None) -> None:
        self._headers = combined_headers(context_headers(signer))
        self._network = network
        self._settings = settings or PartnerSubgraphSettings()
        self._resilience = resilience or ResilienceSettings()
        self._session: aiohttp.ClientSession | None = None

    @property
    def network(self) -> NetworkPolicy:
        if self._network is None:
            self._network = NetworkPolicy.from_env()
        return self._network

    def policy(self, subgraph: str) -> SubgraphPolicy:
        """The resilience defaults with the partner timeout, then the subgraph's overrides."""
        base = self._resilience.subgraph_defaults.model_copy(
            update={"timeout_s": self._settings.timeout_s})
        overrides = self._resilience.subgraphs.get(subgraph, {})
        return SubgraphPolicy(**{**base.model_dump(), **overrides})

    def transport(self, subgraph: str, url: str) -> Transport:
        try:
            self.network.check_url(url)
        except UnsafeUrl as exc:
            return RefusedSubgraph(subgraph, f"its URL is refused: {exc}")
        policy = self.policy(subgraph)
        return Resilient(subgraph, HttpTransport(
            subgraph, url, session=self._guarded(), headers_for=self._headers,
            max_response_bytes=self._settings.max_response_bytes), policy)

    def _guarded(self) -> aiohttp.ClientSession:
        """The shared session; its total timeout is left to each call (the resilience layer
        bounds every call's deadline by the subgraph's timeout)."""
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S)
            self._session = guarded_session(self.network, timeout=timeout,
                                            middlewares=(refusing_unsafe(self.network),))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class GraphRouters:
    """The routers of one graph's supergraph versions: the process's in-process platform
    transports, plus a transport per partner subgraph, kept while its URL stays the same."""

    def __init__(self, platform: Mapping[str, Transport], partners: PartnerTransports) -> None:
        self._platform = dict(platform)
        self._partners = partners
        self._built: dict[tuple[str, str], Transport] = {}

    @property
    def platform_subgraphs(self) -> frozenset[str]:
        return frozenset(self._platform)

    def router_for(self, supergraph: Supergraph) -> TransportRouter:
        """A router for every subgraph of ``supergraph``."""
        kept: dict[tuple[str, str], Transport] = {}
        for name, subgraph in supergraph.subgraphs.items():
            if name in self._platform:
                continue
            key = (name, subgraph.url)
            kept[key] = self._built.get(key) or self._partners.transport(name, subgraph.url)
        self._built = kept
        return TransportRouter({**self._platform,
                                **{name: transport for (name, _url), transport in kept.items()}})
