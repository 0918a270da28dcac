"""What a serve process publishes when it starts: its database's whole graph.

Each process of ``loopgate serve`` composes, for the live database and for the sandbox, the
platform subgraphs of its own build plus the ACTIVE partner subgraphs registered in that
database (:func:`partners.subgraphs.compose_graph`), and publishes the result as that
database's supergraph version when it differs from the current one. Publishing the bare
platform supergraph instead would drop every partner subgraph at each restart.

If the registered partner subgraphs no longer compose with a new platform build (a platform
field a partner extends was renamed, say), the composition errors are logged and the platform
graph is published instead: serving never stops for a partner's subgraph, which comes back
once its partner registers a version that composes. Processes starting together take the
database's composition turn one after the other and add one version between them.

A rollback (``loopgate supergraph rollback``) moves the pointer only: a restart publishes the
composed graph again when it differs, so to keep a partner subgraph out for good, remove its
registration.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from gateway.supergraph_versions import (
    POLL_INTERVAL_S,
    InvalidSupergraph,
    SupergraphVersion,
    SupergraphVersions,
)
from partners.subgraphs.turn import GraphBusy, graph_turn

SOURCE = "loopgate serve"

_log = logging.getLogger("loopgate.supergraph")


class Composed(Protocol):
    """A database's composed graph (:class:`partners.subgraphs.ComposedGraph`)."""

    @property
    def supergraph_sdl(self) -> str | None: ...

    @property
    def errors(self) -> Sequence[Any]: ...

    @property
    def source(self) -> str: ...


Compose = Callable[[AsyncDatabase], Awaitable[Composed]]
"""The platform plus a database's ACTIVE partner subgraphs, composed."""


async def composed_or_platform(db: AsyncDatabase, compose: Compose,
                               platform_sdl: str) -> tuple[str, str]:
    """The supergraph SDL to publish for ``db`` and its source; the platform's when the
    partner subgraphs do not compose (logged). Database errors are raised."""
    try:
        composed = await compose(db)
    except PyMongoError:
        raise
    except Exception as exc:  # a partner's subgraph must never stop the platform serving
        _log.exception("composing the partner subgraphs of database %s failed; serving the "
                       "platform graph without them", db.name)
        return platform_sdl, f"{SOURCE}: platform only ({type(exc).__name__})"
    if composed.supergraph_sdl is None:
        _log.error("the partner subgraphs of database %s no longer compose with this build; "
                   "serving the platform graph without them. Composition errors: %s",
                   db.name, "; ".join(_described(error) for error in composed.errors))
        return platform_sdl, f"{SOURCE}: platform only (partner subgraphs do not compose)"
    return composed.supergraph_sdl, f"{SOURCE}: {composed.source}"


async def publish_at_start(db: AsyncDatabase, compose: Compose, platform_sdl: str, *,
                           interval_s: float = POLL_INTERVAL_S) -> SupergraphVersion:
    """Compose ``db``'s graph and publish it unless it is current; the version to serve.

    Runs in the database's composition turn (:func:`partners.subgraphs.turn.graph_turn`),
    as a registration does, so a process starting while a partner registers never publishes
    a graph composed without the new subgraph after the registration published it. Tried
    again while the database is away or the turn is busy. A composed SDL the store refuses
    as no valid supergraph falls back to the platform's, as a composition failure does.
    """
    while True:
        try:
            async with graph_turn(db):
                sdl, source = await composed_or_platform(db, compose, platform_sdl)
                try:
                    return await SupergraphVersions(db).publish(sdl, source=source)
                except InvalidSupergraph:
                    _log.exception("the composed graph of database %s is no valid "
                                   "supergraph; serving the platform graph", db.name)
                    return await SupergraphVersions(db).publish(
                        platform_sdl, source=f"{SOURCE}: platform only")
        except (PyMongoError, GraphBusy):
            _log.warning("could not publish the graph of database %s; retrying", db.name,
                         exc_info=True)
            await asyncio.sleep(interval_s)


def _described(error: Any) -> str:
    code, message = getattr(error, "code", None), getattr(error, "message", None)
    return f"{code}: {message}" if code and message else str(error)
