"""Members' phones: the platform-wide lookup from a phone (E.164) to its member.

Normalising and masking live in :mod:`schema.kernel.phones` (auth's sign-in pages use them
too); they are re-exported here for membership's own modules.
"""

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.phones import InvalidPhone, mask_phone, normalise_phone

__all__ = ["PHONES", "InvalidPhone", "mask_phone", "member_id_by_phone", "normalise_phone",
           "phone_key"]

PHONES = "member_phones"


def phone_key(phone_e164: str) -> str:
    """The ``_id`` of a phone's lookup document."""
    return f"phone:{phone_e164}"


async def member_id_by_phone(db: AsyncDatabase, phone_e164: str) -> str | None:
    """The member registered with ``phone_e164`` (already normalised), or None."""
    found = await db[PHONES].find_one({"_id": phone_key(phone_e164)}, {"memberId": 1})
    return found["memberId"] if found else None
