"""What a platform subgraph package hands the gateway: its schema, indexes and context factory.

The gateway's in-process transport calls ``context_factory(databases)(request_context)`` once
per subgraph fetch (``request_context`` is ``{"principal": Principal | None, ...}``) and
executes the fetch's parsed document on ``schema._schema``; over HTTP the same request context
comes from the verified ``Loopgate-Context`` token. Either way the factory picks the caller's
database (live or sandbox, :mod:`schema.kernel.sandbox`) before the subgraph's own
``make_context`` sees it. Subgraphs never import the gateway.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.context import request_principal
from schema.kernel.indexes import IndexSpec
from schema.kernel.sandbox import Databases

ContextMaker = Callable[[AsyncDatabase, Mapping[str, Any]], Any]
Job = Callable[[AsyncDatabase], Awaitable[int]]


@dataclass(frozen=True)
class Subgraph:
    """One subgraph: ``name`` (as in the supergraph), its Strawberry federation schema, the
    indexes its repositories rely on, how to build its per-request context, periodic ``jobs``
    (outbox relays) the host should run every few seconds, and ``sweeps`` (deleting what is
    past a retention of minutes or hours) it should run every few minutes: a sweep filters
    on a time field, which is a whole-collection scan on FerretDB v1.

    Its data lives in the live database and the sandbox, each caller seeing the one its token
    names; indexes, jobs and sweeps run on both. Data that has no sandbox twin (the partner
    registry, OAuth clients) is read from :func:`schema.kernel.sandbox.live_twin` of the
    caller's database."""

    name: str
    schema: strawberry.federation.Schema
    indexes: tuple[IndexSpec, ...]
    make_context: ContextMaker
    jobs: tuple[Job, ...] = field(default=())
    sweeps: tuple[Job, ...] = field(default=())
    def context_factory(self, databases: Databases) -> Callable[[Mapping[str, Any]], Any]:
        """The in-process transport's context_factory: ``make_context`` over the caller's
        database, picked from the request's principal."""
        def factory(request: Mapping[str, Any]) -> Any:
            return self.make_context(databases.pick(request_principal(request)), request)

        return factory

    @property
    def sdl(self) -> str:
        """The subgraph SDL, as ``_service { sdl }`` returns it (for composition)."""
        return self.schema.as_str()
