"""The live graph and the sandbox graph of one serve process, and which one a caller gets.

Partner subgraphs registered by sandbox apps live in the sandbox database and are composed
into the sandbox's own supergraph, whose versions are stored there too; only sandbox tokens
see it (issue 16, point 5). Live and anonymous callers get the live graph. Each graph follows
its database's version pointer and hot-reloads on its own.

While both graphs serve the same supergraph (always, until a sandbox app registers a
subgraph) sandbox callers are served by the live graph's gateway: one set of parse, plan and
authorization caches for both. Operation limits are the same object for both gateways, and
the apps' budgets are chosen by the caller's database as before
(:func:`gateway.limits.budget.limits_by_database`).
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.authorization.wiring import principal_of
from gateway.federation import Supergraph
from gateway.partner_graph.routing import GraphRouters
from gateway.partner_graph.startup import Compose, publish_at_start
from gateway.service import Gateway
from gateway.supergraph_versions import (
    POLL_INTERVAL_S,
    Apply,
    digest,
    follow_supergraph,
    switch_to,
)


def sandbox_caller(context: Mapping[str, Any]) -> bool:
    """Whether the request's token is a sandbox app's."""
    principal = principal_of(context)
    return principal is not None and principal.sandbox


@dataclass(frozen=True, slots=True)
class Graph:
    """One graph: the database its versions are stored in, its gateway, its routers."""

    name: str
    db: AsyncDatabase
    gateway: Gateway
    routers: GraphRouters

    def serve(self, supergraph: Supergraph) -> None:
        """Switch to ``supergraph``, with a router for its partner subgraphs."""
        self.gateway.replace_supergraph(supergraph, self.routers.router_for(supergraph))


class Graphs:
    """The live and the sandbox graph; :meth:`gateway_for` picks a request's."""

    def __init__(self, live: Graph, sandbox: Graph) -> None:
        self.live = live
        self.sandbox = sandbox
        self._for_sandbox = self._sandbox_gateway()

    def gateway_for(self, context: Mapping[str, Any]) -> Gateway:
        """The gateway of the caller's graph: the sandbox's for a sandbox token."""
        return self._for_sandbox if sandbox_caller(context) else self.live.gateway

    def sandbox_gateway(self) -> Gateway:
        """The gateway serving sandbox callers now."""
        return self._for_sandbox

    def applying(self, graph: Graph) -> Apply:
        """Switch ``graph`` to a supergraph, then re-decide who serves sandbox callers."""

        def apply(supergraph: Supergraph) -> None:
            graph.serve(supergraph)
            self._for_sandbox = self._sandbox_gateway()

        return apply

    def _sandbox_gateway(self) -> Gateway:
        same = self.sandbox.gateway.supergraph.sdl == self.live.gateway.supergraph.sdl
        return self.live.gateway if same else self.sandbox.gateway

    async def start(self, compose: Compose, platform_sdl: str, *,
                    interval_s: float = POLL_INTERVAL_S) -> list[Coroutine[Any, Any, None]]:
        """Publish each graph's composition (:func:`publish_at_start`) and serve it; the
        loops that follow each database's versions from then on, to run until cancelled."""
        followers = []
        for graph in (self.live, self.sandbox):
            apply = self.applying(graph)
            version = await publish_at_start(graph.db, compose, platform_sdl,
                                             interval_s=interval_s)
            if version.sha256 != digest(graph.gateway.supergraph.sdl):
                await switch_to(version, apply)
            followers.append(follow_supergraph(graph.db, apply, applied=version.version,
                                               interval_s=interval_s))
        return followers
