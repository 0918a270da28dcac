"""Loopgate's own graph: the platform subgraphs, composed at start-up and served in-process.

Composition runs through :mod:`gateway.compose` (the same code that checks partner
subgraphs), so the platform never depends on a supergraph file that could drift from the
code. Each subgraph runs in this process on the shared databases, without HTTP or JSON: the
live one and its sandbox twin (:class:`schema.kernel.sandbox.Databases`), each caller on the
one its token names, and each subgraph's indexes, jobs and sweeps on both.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from starlette.requests import Request

from gateway.authorization.wiring import principal_of
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.transports import InProcessTransport, Transport, TransportRouter
from partners.subgraph.schema import SUBGRAPH as PARTNERS
from schema.catalog.schema import SUBGRAPH as CATALOG
from schema.kernel.indexes import ensure_indexes
from schema.kernel.sandbox import Databases, SandboxDemo
from schema.kernel.subgraph import Job, Subgraph
from schema.maps.schema import SUBGRAPH as MAPS
from schema.marketing.schema import SUBGRAPH as MARKETING
from schema.membership.schema import SUBGRAPH as MEMBERSHIP
from schema.orders.schema import SUBGRAPH as ORDERS
from schema.payments.schema import SUBGRAPH as PAYMENTS
from schema.stores.schema import SUBGRAPH as STORES

PLATFORM_SUBGRAPHS: tuple[Subgraph, ...] = (PARTNERS, STORES, MAPS, CATALOG, MEMBERSHIP,
                                                PAYMENTS, MARKETING, ORDERS)

_log = logging.getLogger("loopgate.sandbox")

ContextFor = Callable[[Request], Awaitable[Mapping[str, Any]]]


class PlatformCompositionError(RuntimeError):
    """The platform's own subgraphs do not compose: a bug in this codebase, never input."""


@dataclass(frozen=True)
class JobSet:
    """The jobs and sweeps to run on one database."""

    db: AsyncDatabase
    jobs: tuple[Job, ...]
    sweeps: tuple[Job, ...]


def platform_sources(subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> list[SubgraphSource]:
    """The platform subgraphs as composition input (in-process URLs), for the platform's
    own supergraph and for one with partner subgraphs added."""
    return [SubgraphSource(name=sg.name, sdl=sg.sdl, url=f"in-process://{sg.name}",
                           file=f"{sg.name} subgraph")
            for sg in subgraphs]


def compose_platform(subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> str:
    """The supergraph SDL of the platform subgraphs (in-process URLs)."""
    result = compose_supergraph(platform_sources(subgraphs))
    if result.errors or result.supergraph_sdl is None:
        details = "\n".join(f"{e.code}: {e.message}" for e in result.errors)
        raise PlatformCompositionError(f"the platform subgraphs do not compose:\n{details}")
    return result.supergraph_sdl


def platform_transports(databases: Databases,
                        subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> dict[str, Transport]:
    """In-process transports for every platform subgraph, each call on its caller's database
    (built once per process: every router of every supergraph version reuses them)."""
    return {sg.name: InProcessTransport(sg.schema._schema,
                                        context_factory=sg.context_factory(databases))
            for sg in subgraphs}


def platform_router(databases: Databases,
                    subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> TransportRouter:
    """A router of :func:`platform_transports` only."""
    return TransportRouter(platform_transports(databases, subgraphs))


async def ensure_platform_indexes(databases: Databases,
                                  subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> None:
    """Every subgraph's indexes, in the live database and the sandbox."""
    for sg in subgraphs:
        for db in databases.each():
            await ensure_indexes(db, sg.indexes)


def platform_jobs(databases: Databases,
                  subgraphs: Sequence[Subgraph] = PLATFORM_SUBGRAPHS) -> list[JobSet]:
    """Per database (live, then the sandbox), the distinct jobs and sweeps of the subgraphs."""
    jobs = tuple(dict.fromkeys(j for sg in subgraphs for j in sg.jobs))
    sweeps = tuple(dict.fromkeys(s for sg in subgraphs for s in sg.sweeps))
    return [JobSet(db, jobs, sweeps) for db in databases.each()] if subgraphs else []


def preparing_sandbox(context_for: ContextFor, demo: SandboxDemo) -> ContextFor:
    """``context_for`` that first loads a sandbox partner's demo data on its first request.

    A load that fails (the database is away) is logged, and the next request tries again;
    the request itself goes on and meets the same database in its subgraphs."""

    async def context(request: Request) -> Mapping[str, Any]:
        found = await context_for(request)
        try:
            await demo.ensure(principal_of(found))
        except PyMongoError:
            _log.exception("could not load the sandbox demo data; next request retries")
        return found

    return context
