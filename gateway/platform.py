"""Loopgate's own graph: the platform subgraphs, composed at start-up and served in-process.

Composition runs through :mod:`gateway.compose` (the same code that checks partner
subgraphs), so the platform never depends on a supergraph file that could drift from the
code. Each subgraph runs in this process on the shared database, without HTTP or JSON.
"""

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from gateway.compose import SubgraphSource, compose_supergraph
from gateway.transports import InProcessTransport, TransportRouter
from partners.subgraph.schema import SUBGRAPH as PARTNERS
from schema.catalog.schema import SUBGRAPH as CATALOG
from schema.kernel.indexes import IndexSpec
from schema.kernel.subgraph import Subgraph
from schema.maps.schema import SUBGRAPH as MAPS
from schema.stores.schema import SUBGRAPH as STORES

PLATFORM_SUBGRAPHS: tuple[Subgraph, ...] = (PARTNERS, STORES, MAPS, CATALOG)


class PlatformCompositionError(RuntimeError):
    """The platform's own subgraphs do not compose: a bug in this codebase, never input."""


def compose_platform(subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> str:
    """The supergraph SDL of the platform subgraphs (in-process URLs)."""
    result = compose_supergraph([
        SubgraphSource(name=sg.name, sdl=sg.sdl, url=f"in-process://{sg.name}",
                       file=f"{sg.name} subgraph")
        for sg in subgraphs
    ])
    if result.errors or result.supergraph_sdl is None:
        details = "\n".join(f"{e.code}: {e.message}" for e in result.errors)
        raise PlatformCompositionError(f"the platform subgraphs do not compose:\n{details}")
    return result.supergraph_sdl


def platform_router(db: AsyncDatabase,
                    subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> TransportRouter:
    """In-process transports for every platform subgraph, over ``db``."""
    return TransportRouter({
        sg.name: InProcessTransport(sg.schema._schema, context_factory=sg.context_factory(db))
        for sg in subgraphs
    })


def platform_indexes(subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> list[IndexSpec]:
    return [spec for sg in subgraphs for spec in sg.indexes]
