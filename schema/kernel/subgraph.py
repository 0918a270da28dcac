"""What a platform subgraph package hands the gateway: its schema, indexes and context factory.

The gateway's in-process transport calls ``make_context(db, request_context)`` once per
subgraph fetch (``request_context`` is ``{"principal": Principal | None, ...}``) and executes
the fetch's parsed document on ``schema._schema``; over HTTP the same request context comes
from the verified ``Loopgate-Context`` token. Subgraphs never import the gateway.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import strawberry
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.indexes import IndexSpec

ContextMaker = Callable[[AsyncDatabase, Mapping[str, Any]], Any]
Job = Callable[[AsyncDatabase], Awaitable[int]]


@dataclass(frozen=True)
class Subgraph:
    """One subgraph: ``name`` (as in the supergraph), its Strawberry federation schema, the
    indexes its repositories rely on, how to build its per-request context, periodic ``jobs``
    (outbox relays) the host should run every few seconds, and ``sweeps`` (deleting what is
    past a retention of minutes or hours) it should run every few minutes: a sweep filters
    on a time field, which is a whole-collection scan on FerretDB v1."""

    name: str
    schema: strawberry.federation.Schema
    indexes: tuple[IndexSpec, ...]
    make_context: ContextMaker
    jobs: tuple[Job, ...] = field(default=())
    sweeps: tuple[Job, ...] = field(default=())

    def context_factory(self, db: AsyncDatabase) -> Callable[[Mapping[str, Any]], Any]:
        """``make_context`` bound to one database: the in-process transport's context_factory."""
        return partial(self.make_context, db)

    @property
    def sdl(self) -> str:
        """The subgraph SDL, as ``_service { sdl }`` returns it (for composition)."""
        return self.schema.as_str()
