"""A database's graph: the platform subgraphs plus that database's ACTIVE partner subgraphs.

:func:`compose_graph` is what a gateway serves for one database (the live database's graph
for live tokens, the sandbox's for sandbox tokens: a sandbox registration is stored in the
sandbox database only, so it never reaches the live graph, and live partner subgraphs, which
hold live data, never reach the sandbox graph). :func:`publish_graph` composes and publishes
it as the database's current supergraph version (:mod:`gateway.supergraph_versions`), which
every gateway process following that database hot-reloads.

The platform subgraphs are composed with the same names and ``in-process://`` URLs as
:func:`gateway.platform.compose_platform`, so a database without partner subgraphs has
exactly the platform's supergraph (same digest: publishing it adds no version). A partner
subgraph is composed as stored with ``@authenticated`` added to its own fields
(:func:`gateway.partner_graph.token_required.require_token`): its fields need a token, and
the supergraph says so itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from pymongo.asynchronous.database import AsyncDatabase

from gateway.compose import CompositionError, SubgraphSource, compose_supergraph
from gateway.partner_graph.token_required import TokenGuardError, require_token
from gateway.supergraph_versions import SupergraphVersion, SupergraphVersions
from partners.subgraphs.records import SubgraphRecord, active_subgraphs
from partners.subgraphs.turn import graph_turn

FEDERATION_2_REQUIRED = "FEDERATION_2_REQUIRED"
"""The error code of a partner SDL without a Federation 2 ``@link`` (no ``@authenticated``)."""


class GraphDoesNotCompose(RuntimeError):
    """The stored ACTIVE subgraphs no longer compose with the platform; nothing published."""


@dataclass(frozen=True, slots=True)
class ComposedGraph:
    """The supergraph SDL of the platform plus ``partners`` (or the composition errors)."""

    supergraph_sdl: str | None
    errors: tuple[CompositionError, ...]
    partners: tuple[SubgraphRecord, ...]

    @property
    def ok(self) -> bool:
        return self.supergraph_sdl is not None

    @property
    def source(self) -> str:
        """How a published version names its origin."""
        names = ", ".join(record.name for record in self.partners)
        return f"partner subgraphs: {names}" if names else "platform"


@cache
def platform_sources() -> tuple[SubgraphSource, ...]:
    """The platform subgraphs as composition sources (built once: their SDL is code)."""
    # Imported here, not at the top: gateway.platform imports the partners subgraph, whose
    # GraphQL module imports this package.
    from gateway.platform import PLATFORM_SUBGRAPHS

    return tuple(SubgraphSource(name=sg.name, sdl=sg.sdl, url=f"in-process://{sg.name}",
                                file=f"{sg.name} subgraph") for sg in PLATFORM_SUBGRAPHS)


def platform_names() -> frozenset[str]:
    return frozenset(source.name for source in platform_sources())


def partner_source(record: SubgraphRecord) -> SubgraphSource:
    """The subgraph as composed: its SDL with its own fields needing a token (raises
    :class:`gateway.partner_graph.token_required.TokenGuardError`)."""
    return SubgraphSource(name=record.name, sdl=require_token(record.sdl), url=record.url,
                          file=f"partner subgraph {record.name} ({record.url})")


def compose_with(partners: Sequence[SubgraphRecord]) -> ComposedGraph:
    """The platform composed with ``partners`` (their stored SDL and URL)."""
    sources, refused = [], []
    for record in partners:
        try:
            sources.append(partner_source(record))
        except TokenGuardError as exc:
            refused.append(CompositionError(FEDERATION_2_REQUIRED, f"[{record.name}] {exc}",
                                            record.name))
    if refused:
        return ComposedGraph(supergraph_sdl=None, errors=tuple(refused),
                             partners=tuple(partners))
    result = compose_supergraph([*platform_sources(), *sources])
    return ComposedGraph(supergraph_sdl=result.supergraph_sdl, errors=tuple(result.errors),
                         partners=tuple(partners))


async def compose_graph(db: AsyncDatabase) -> ComposedGraph:
    """The platform subgraphs plus every ACTIVE partner subgraph registered in ``db``."""
    return compose_with(await active_subgraphs(db))


async def publish_composed(db: AsyncDatabase, graph: ComposedGraph) -> SupergraphVersion:
    """Publish ``graph`` in ``db`` (the caller holds the turn); the version served next."""
    if graph.supergraph_sdl is None:
        details = "; ".join(f"{e.code}: {e.message}" for e in graph.errors)
        raise GraphDoesNotCompose(f"the ACTIVE partner subgraphs do not compose: {details}")
    return await SupergraphVersions(db).publish(graph.supergraph_sdl, source=graph.source)


async def publish_graph(db: AsyncDatabase) -> SupergraphVersion:
    """Compose ``db``'s graph and publish it when it differs from the current version.

    Runs in the database's composition turn (:mod:`partners.subgraphs.turn`), so it never
    publishes a graph composed before a registration that finished meanwhile. Raises
    :class:`GraphDoesNotCompose` (nothing published) or :class:`partners.subgraphs.turn.
    GraphBusy`."""
    async with graph_turn(db):
        return await publish_composed(db, await compose_graph(db))
