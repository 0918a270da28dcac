"""``Partner`` (the entity other subgraphs' ``merchant`` references resolve to) and
``viewer`` (who the token says the caller is), both read from the live registry."""

import asyncio
from enum import Enum
from typing import Any

import strawberry
from aiodataloader import DataLoader

from partners.subgraph.context import PartnersContext
from schema.kernel.errors import ErrorCode, graphql_error

PARTNERS = "partners"


@strawberry.enum(description="What kind of business a partner is.")
class PartnerType(Enum):
    MERCHANT = "MERCHANT"
    ERP_VENDOR = "ERP_VENDOR"
    STORE_CHAIN = "STORE_CHAIN"
    SERVICE_PROVIDER = "SERVICE_PROVIDER"
    INTERNAL = "INTERNAL"


def _partner_loader(context: PartnersContext) -> DataLoader:
    async def load(ids: list[str]) -> list[dict[str, Any] | None]:
        collection = context.registry[PARTNERS]
        return list(await asyncio.gather(*(collection.find_one({"_id": i}) for i in ids)))
    return context.loader("partners", lambda: DataLoader(load))


@strawberry.federation.type(keys=["id"],
                            description="A partner: merchant, chain, ERP vendor or app maker.")
class Partner:
    id: strawberry.ID
    name: str
    type: PartnerType

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "Partner":
        return cls(id=strawberry.ID(doc["_id"]), name=doc["name"], type=PartnerType(doc["type"]))

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info,
                                id: strawberry.ID) -> "Partner | None":
        doc = await _partner_loader(info.context).load(str(id))
        return cls.from_document(doc) if doc else None


@strawberry.type(description="The caller, as its token says.")
class Viewer:
    partner: Partner | None
    client_id: str
    scopes: list[str]
    sandbox: bool


@strawberry.type
class ViewerQuery:
    @strawberry.federation.field(authenticated=True, description="Who is calling.")
    async def viewer(self, info: strawberry.Info) -> Viewer:
        context: PartnersContext = info.context
        if context.principal is None:
            raise graphql_error("authentication required", ErrorCode.UNAUTHENTICATED)
        principal = context.principal
        partner = None
        if principal.partner_id is not None:
            doc = await _partner_loader(context).load(principal.partner_id)
            partner = Partner.from_document(doc) if doc else None
        return Viewer(partner=partner, client_id=principal.client_id,
                      scopes=sorted(principal.scopes), sandbox=principal.sandbox)
