"""Members: one per phone number, platform-wide.

A phone's lookup document (``phone:<E.164>`` in ``member_phones``) is what makes a phone
unique: registration inserts it with a fresh member id, and a unique insert is atomic on every
server, so of any number of concurrent registrations of one phone exactly one id wins and the
others adopt it. The member document is written after the lookup, by whoever gets there
first (an insert by id, so it cannot be written twice); a registration that died between the
two is completed by the next registration of that phone.
"""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.ids import new_id
from schema.kernel.time import utcnow
from schema.membership.phones import PHONES, phone_key

MEMBERS = "members"
Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Registered:
    """The member a phone belongs to, and whether this registration created it."""

    member: Document
    created: bool


async def register(db: AsyncDatabase, phone_e164: str, display_name: str, partner_id: str,
                   member_id: str | None = None) -> Registered:
    """The member with ``phone_e164``, created (as ``member_id`` when given: the demo seed)
    when the phone is new."""
    candidate = member_id or new_id("mem")
    try:
        await db[PHONES].insert_one({"_id": phone_key(phone_e164), "memberId": candidate,
                                     "createdAt": utcnow()})
        owner = candidate
    except DuplicateKeyError:
        found = await db[PHONES].find_one({"_id": phone_key(phone_e164)})
        if found is None:
            raise RuntimeError(f"phone lookup {phone_e164} vanished") from None
        owner = found["memberId"]
    document = {"_id": owner, "phone": phone_e164, "displayName": display_name,
                "registeredBy": partner_id, "joinedAt": utcnow()}
    try:
        await db[MEMBERS].insert_one(document)
        return Registered(document, created=True)
    except DuplicateKeyError:
        existing = await db[MEMBERS].find_one({"_id": owner})
        if existing is None:
            raise RuntimeError(f"member {owner} vanished") from None
        return Registered(existing, created=False)


async def get_member(db: AsyncDatabase, member_id: str) -> Document | None:
    return await db[MEMBERS].find_one({"_id": member_id})

