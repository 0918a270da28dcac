"""Stored partner subgraphs: one document per registered subgraph, in the caller's database.

A subgraph (``sgr_…`` in :data:`SUBGRAPHS`) keeps the SDL and URL it serves with, its status
(``ACTIVE``: in the graph; ``REJECTED``: its registration was refused, never in the graph;
``REMOVED``), the errors of its last refused registration and the supergraph version that
first served its current SDL. A name belongs to one subgraph of the database (the
:data:`NAMES` document whose ``_id`` is the name) until that subgraph is removed; the partner
owning it re-registers under the same name to change its SDL or URL.

Sandbox apps register in the sandbox database and live apps in the live one, so each
database's graph (``partners.subgraphs.graph``) only ever sees its own registrations.

Listing reads a scan of :data:`SUBGRAPHS` (a handful of documents per deployment, read at a
registration or a gateway start, never per request); writes go through
:func:`schema.kernel.claims.update_claimed` like every shared document.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.time import as_utc

SUBGRAPHS = "partner_subgraphs"
NAMES = "partner_subgraph_names"

Document = dict[str, Any]


class Status(StrEnum):
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    REMOVED = "REMOVED"


@dataclass(frozen=True, slots=True)
class SubgraphRecord:
    """One stored partner subgraph."""

    id: str
    partner_id: str
    name: str
    url: str
    sdl: str
    status: Status
    errors: tuple[str, ...]
    supergraph_version: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, doc: Document) -> "SubgraphRecord":
        return cls(id=doc["_id"], partner_id=doc["partnerId"], name=doc["name"], url=doc["url"],
                   sdl=doc["sdl"], status=Status(doc["status"]), errors=tuple(doc["errors"]),
                   supergraph_version=doc.get("supergraphVersion"),
                   created_at=as_utc(doc["createdAt"]), updated_at=as_utc(doc["updatedAt"]))

    def to_document(self) -> Document:
        return {"partnerId": self.partner_id, "name": self.name, "url": self.url,
                "sdl": self.sdl, "status": str(self.status), "errors": list(self.errors),
                "supergraphVersion": self.supergraph_version, "createdAt": self.created_at,
                "updatedAt": self.updated_at}


async def get_subgraph(db: AsyncDatabase, subgraph_id: str) -> SubgraphRecord | None:
    found = await db[SUBGRAPHS].find_one({"_id": subgraph_id})
    return None if found is None else SubgraphRecord.from_document(found)


async def named(db: AsyncDatabase, name: str) -> SubgraphRecord | None:
    """The subgraph holding ``name`` in ``db`` (None when the name is free)."""
    found = await db[NAMES].find_one({"_id": name})
    if found is None or found.get("subgraphId") is None:
        return None
    return await get_subgraph(db, found["subgraphId"])


async def active_subgraphs(db: AsyncDatabase) -> list[SubgraphRecord]:
    """Every ACTIVE subgraph of ``db``, by name (the order composition sees them in)."""
    found = [SubgraphRecord.from_document(doc)
             async for doc in db[SUBGRAPHS].find({"status": str(Status.ACTIVE)})]
    return sorted(found, key=lambda record: record.name)


async def partner_subgraphs(db: AsyncDatabase, partner_id: str) -> list[SubgraphRecord]:
    """A partner's subgraphs in ``db``, every status, oldest first."""
    found = [SubgraphRecord.from_document(doc)
             async for doc in db[SUBGRAPHS].find({"partnerId": partner_id})]
    return sorted(found, key=lambda record: record.id)


async def all_subgraphs(db: AsyncDatabase) -> list[SubgraphRecord]:
    """Every subgraph of ``db``, every partner and status, oldest first (the operator's list)."""
    found = [SubgraphRecord.from_document(doc) async for doc in db[SUBGRAPHS].find({})]
    return sorted(found, key=lambda record: record.id)


async def save(db: AsyncDatabase, record: SubgraphRecord) -> SubgraphRecord:
    """Write ``record`` (its name pointing at it unless it is REMOVED, then freed)."""
    await update_claimed(db[SUBGRAPHS], db, record.id, lambda _current: record.to_document())
    if record.status is Status.REMOVED:
        await update_claimed(db[NAMES], db, record.name,
                             lambda current: _freed(current, record.id))
    else:
        await update_claimed(db[NAMES], db, record.name,
                             lambda _current: {"subgraphId": record.id,
                                               "partnerId": record.partner_id})
    return record


def _freed(current: Document | None, subgraph_id: str) -> Document | None:
    if current is None or current.get("subgraphId") != subgraph_id:
        return None
    return {"subgraphId": None, "partnerId": None}
