"""Which merchants know which members (DESIGN.md §5: a merchant sees a member only through
its own activity with them).

A relationship starts with registration, earning, redeeming or a payment at the merchant,
and is never taken back. It is one small document per (partner, member), keyed
``rel:<partner>:<member>``: recorded by a unique insert (a repeat is a duplicate-key no-op)
and checked by an ``_id`` point read, the only indexed read on FerretDB v1.
"""

from contextlib import suppress

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.time import utcnow

RELATIONSHIPS = "member_relationships"


def relationship_id(partner_id: str, member_id: str) -> str:
    return f"rel:{partner_id}:{member_id}"


async def record_relationship(db: AsyncDatabase, partner_id: str, member_id: str) -> None:
    """Record that ``partner_id`` deals with ``member_id`` (idempotent; the payments subgraph
    calls it for a payment's merchant)."""
    with suppress(DuplicateKeyError):
        await db[RELATIONSHIPS].insert_one({"_id": relationship_id(partner_id, member_id),
                                            "partnerId": partner_id, "memberId": member_id,
                                            "since": utcnow()})


async def has_relationship(db: AsyncDatabase, partner_id: str, member_id: str) -> bool:
    found = await db[RELATIONSHIPS].find_one({"_id": relationship_id(partner_id, member_id)},
                                             {"_id": 1})
    return found is not None
