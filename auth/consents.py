"""A member's consent to an app: which scopes it may use on the member's behalf.

Stored so a returning member is not asked again for scopes already granted, and so the member
can see and withdraw it (withdrawal also revokes every token the app holds for the member).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.codes import CodeStore
from auth.collections import CONSENTS
from auth.refresh import RefreshTokens
from schema.kernel.time import as_utc, utcnow


@dataclass(frozen=True, slots=True)
class Consent:
    member_id: str
    client_id: str
    scopes: frozenset[str]
    granted_at: datetime

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Consent:
        return cls(doc["memberId"], doc["clientId"], frozenset(doc["scopes"]),
                   as_utc(doc["grantedAt"]))


def _key(member_id: str, client_id: str) -> str:
    return f"consent:{member_id}:{client_id}"


class Consents:
    """The ``oauth_consents`` collection."""

    def __init__(self, db: AsyncDatabase, refresh_tokens: RefreshTokens,
                 codes: CodeStore) -> None:
        self._consents = db[CONSENTS]
        self._refresh_tokens = refresh_tokens
        self._codes = codes

    async def grant(self, member_id: str, client_id: str, scopes: set[str]) -> None:
        """Record consent; scopes accumulate across grants."""
        await self._consents.update_one(
            {"_id": _key(member_id, client_id)},
            {"$addToSet": {"scopes": {"$each": sorted(scopes)}},
             "$set": {"memberId": member_id, "clientId": client_id, "grantedAt": utcnow()}},
            upsert=True)

    async def get(self, member_id: str, client_id: str) -> Consent | None:
        doc = await self._consents.find_one({"_id": _key(member_id, client_id)})
        return None if doc is None else Consent.from_document(doc)

    async def for_member(self, member_id: str) -> list[Consent]:
        cursor = self._consents.find({"memberId": member_id}).sort("_id", 1)
        return [Consent.from_document(doc) async for doc in cursor]

    async def covers(self, member_id: str, client_id: str, scopes: set[str]) -> bool:
        consent = await self.get(member_id, client_id)
        return consent is not None and scopes <= consent.scopes

    async def revoke(self, member_id: str, client_id: str) -> bool:
        """Withdraw consent and revoke the app's codes and tokens for the member.

        Returns False when there was no consent to withdraw.
        """
        result = await self._consents.delete_one({"_id": _key(member_id, client_id)})
        await self._codes.void_for(member_id, client_id)
        await self._refresh_tokens.revoke_member_client(member_id, client_id)
        return result.deleted_count == 1
