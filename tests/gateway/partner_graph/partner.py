"""A partner's own subgraph for the tests: a small Strawberry federation app on 127.0.0.1.

It adds ``Store.partnerRating`` and a root field ``partnerHello`` (another partner's adds
``Store.partnerBadge`` and ``partnerBadges``), records the headers of every request it gets,
and can be told to hang. :class:`Registrations` stands in for the partner-subgraph registry
of another part of issue 16: it composes the platform with the registered partner SDLs
(through :func:`gateway.partner_graph.token_required.require_token`, as registration should
compose them) and publishes the result in a database's version store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import strawberry
import uvicorn
from pymongo.asynchronous.database import AsyncDatabase
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

from gateway.compose import CompositionError, SubgraphSource, compose_supergraph
from gateway.partner_graph.token_required import require_token
from gateway.platform import platform_sources
from gateway.supergraph_versions import SupergraphVersion, SupergraphVersions

RATING = 4.5
BADGE = "gold"
HELLO = "hello from the partner"


@dataclass
class PartnerState:
    """What the partner subgraph saw, and how it behaves."""

    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    hang_s: float = 0.0
    delay_s: float = 0.0


@strawberry.federation.type(keys=["id"], name="Store")
class RatedStore:
    id: strawberry.ID
    partner_rating: float | None = strawberry.field(
        default=RATING, description="The partner's rating of the store, 0 to 5.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RatedStore:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], name="Store")
class BadgedStore:
    id: strawberry.ID
    partner_badge: str | None = strawberry.field(
        default=BADGE, description="The partner's badge for the store.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> BadgedStore:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field(description="A greeting from the partner.")
    def partner_hello(self) -> str | None:
        return HELLO


@strawberry.type(name="Query")
class BadgeQuery:
    @strawberry.field(description="How many badges exist.")
    def partner_badges(self) -> int | None:
        return 1


def partner_schema(*, badge: bool = False) -> Schema:
    """The rating partner's federation schema (``Store.partnerRating``, ``partnerHello``),
    or with ``badge`` another partner's (``Store.partnerBadge``, ``partnerBadges``)."""
    if badge:
        return Schema(query=BadgeQuery, types=[BadgedStore])
    return Schema(query=Query, types=[RatedStore])


def partner_app(state: PartnerState, *, badge: bool = False) -> ASGIApp:
    """The partner's ASGI app: records each request, then waits or hangs as told."""
    graphql = GraphQL(partner_schema(badge=badge))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state.headers.append({name.decode().lower(): value.decode()
                                  for name, value in scope["headers"]})
            if state.hang_s:
                await asyncio.sleep(state.hang_s)
            if state.delay_s:
                await asyncio.sleep(state.delay_s)
        await graphql(scope, receive, send)

    return app


@asynccontextmanager
async def serving(app: ASGIApp, port: int) -> AsyncIterator[str]:
    """``app`` on 127.0.0.1:``port`` with uvicorn in this event loop; yields its base URL.
    Requests still running at the end are given a second."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                            log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass(frozen=True)
class Composition:
    """A database's composed graph, shaped as :class:`partners.subgraphs.ComposedGraph`."""

    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...]
    source: str


@dataclass
class Registrations:
    """Registered partner subgraphs per database name: name → (SDL, URL)."""

    by_db: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def register(self, db: AsyncDatabase, name: str, sdl: str, url: str) -> None:
        self.by_db.setdefault(db.name, {})[name] = (sdl, url)

    async def compose(self, db: AsyncDatabase) -> Composition:
        registered = self.by_db.get(db.name, {})
        result = compose_supergraph([
            *platform_sources(),
            *(SubgraphSource(name=name, sdl=require_token(sdl), url=url)
              for name, (sdl, url) in sorted(registered.items()))])
        names = ", ".join(sorted(registered))
        return Composition(result.supergraph_sdl, tuple(result.errors),
                           f"partner subgraphs: {names}" if names else "platform")

    async def publish(self, db: AsyncDatabase) -> SupergraphVersion:
        composed = await self.compose(db)
        assert composed.supergraph_sdl is not None, composed.errors
        return await SupergraphVersions(db).publish(composed.supergraph_sdl,
                                                    source=composed.source)
