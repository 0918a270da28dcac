"""The partners subgraph's request context: the caller's database and the live registry.

Webhook endpoints, deliveries, events and partner subgraphs of a sandbox app live in the
sandbox (DESIGN.md §5), so the subgraph follows the caller's database like every other
(``context.db``). The registry itself (partners and their OAuth apps) has no sandbox twin:
``context.registry`` is always the live database, whoever calls.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.context import SubgraphContext, request_principal
from schema.kernel.sandbox import live_twin


@dataclass(kw_only=True)
class PartnersContext(SubgraphContext):
    """:class:`SubgraphContext` plus ``registry``, the live database."""

    registry: AsyncDatabase


def make_partners_context(db: AsyncDatabase, request: Mapping[str, Any]) -> PartnersContext:
    """The partners subgraph's context factory: ``db`` is the caller's database."""
    return PartnersContext(db=db, principal=request_principal(request), request=request,
                           registry=live_twin(db))
