"""The partner's subgraph self-service (contract: [partners]; scope ``subgraphs:manage``):
``partnerSubgraphs``, ``registerSubgraph`` and ``removeSubgraph``, over
:mod:`partners.subgraphs`.

Every call works on the caller's database (``context.db``): a sandbox app's subgraphs are
stored in, composed into and published as the sandbox's graph, which only sandbox tokens
are served; a live token never sees them (nor the reverse). Another partner's subgraph is
NOT_FOUND, exactly as one that does not exist, and an id that is not a well-formed ``sgr_``
id is INVALID before any query. Composition errors, rule violations and breaking changes
come back as ``userErrors`` (their code leads the message) beside the stored subgraph.
"""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.federation.schema_directives import ListSize

from partners.subgraph.context import PartnersContext
from partners.subgraphs.records import SubgraphRecord, partner_subgraphs
from partners.subgraphs.register import (
    MAX_SUBGRAPHS_PER_PARTNER,
    Outcome,
    register_subgraph,
    remove_subgraph,
)
from schema.kernel.graphql_types import UserError

MANAGE = "subgraphs:manage"
SCOPES = [[MANAGE]]


@strawberry.enum(description="ACTIVE: in the graph; REJECTED: its registration was refused "
                             "(see errors), never in the graph; REMOVED: taken out.")
class SubgraphStatus(Enum):
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    REMOVED = "REMOVED"


@strawberry.type(description="A partner's own GraphQL subgraph, composed into the graph.")
class PartnerSubgraph:
    id: strawberry.ID = strawberry.field(description="sgr_…")
    name: str = strawberry.field(description="Its name in the supergraph (unique per graph).")
    url: str = strawberry.field(description="Where the gateway calls it.")
    status: SubgraphStatus = strawberry.field(description="Whether it is in the graph.")
    errors: list[str] = strawberry.field(
        description="Why the last registration was refused (empty after a success).")
    supergraph_version: int | None = strawberry.field(
        description="The supergraph version that serves it as it is now.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, record: SubgraphRecord) -> "PartnerSubgraph":
        return cls(id=strawberry.ID(record.id), name=record.name, url=record.url,
                   status=SubgraphStatus(str(record.status)), errors=list(record.errors),
                   supergraph_version=record.supergraph_version, updated_at=record.updated_at)


@strawberry.input(description="A subgraph to register, or the caller's to change.")
class RegisterSubgraphInput:
    name: str = strawberry.field(description="2 to 40 characters: a lowercase letter, then "
                                 "lowercase letters, digits or _; not a platform subgraph's.")
    url: str = strawberry.field(description="Its GraphQL endpoint: https (http only for "
                                "networks the operator allows); never a private address.")


@strawberry.type(description="The subgraph as stored, and why the call was refused if it was.")
class PartnerSubgraphPayload:
    subgraph: PartnerSubgraph | None = strawberry.field(
        description="The subgraph after the call (null when nothing was stored).")
    user_errors: list[UserError] = strawberry.field(
        description="Refusals; composition errors, rule violations and breaking changes "
                    "lead their message with their code.")

    @classmethod
    def of(cls, outcome: Outcome) -> "PartnerSubgraphPayload":
        return cls(subgraph=PartnerSubgraph.of(outcome.subgraph) if outcome.subgraph else None,
                   user_errors=[UserError.of(e) for e in outcome.errors])


@strawberry.type
class SubgraphsQuery:
    @strawberry.federation.field(
        requires_scopes=SCOPES,
        directives=[ListSize(assumed_size=MAX_SUBGRAPHS_PER_PARTNER,
                             require_one_slicing_argument=False)],
        description="The caller's partner's subgraphs (every status), oldest first; needs "
                    "subgraphs:manage.")
    async def partner_subgraphs(self, info: strawberry.Info) -> list[PartnerSubgraph]:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        return [PartnerSubgraph.of(r) for r in await partner_subgraphs(context.db, partner_id)]


@strawberry.type
class SubgraphsMutation:
    @strawberry.federation.mutation(
        requires_scopes=SCOPES,
        description="Register a subgraph (or change the caller's subgraph of that name): "
                    "Loopgate fetches its SDL ({ _service { sdl } }), composes it with the "
                    "graph and, when that succeeds, serves it at once. It may add fields to "
                    "the platform's entities but not define or override the platform's. The "
                    "URL must be https (http only for networks the operator allows).")
    async def register_subgraph(self, info: strawberry.Info,
                                input: RegisterSubgraphInput) -> PartnerSubgraphPayload:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        return PartnerSubgraphPayload.of(
            await register_subgraph(context.db, partner_id, input.name, input.url))

    @strawberry.federation.mutation(
        requires_scopes=SCOPES,
        description="Take a subgraph out of the graph (status REMOVED; its name is free).")
    async def remove_subgraph(self, info: strawberry.Info,
                              subgraph_id: strawberry.ID) -> PartnerSubgraphPayload:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        return PartnerSubgraphPayload.of(
            await remove_subgraph(context.db, partner_id, subgraph_id))
