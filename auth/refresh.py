"""Refresh tokens with rotation and reuse detection (RFC 9700 §4.14.2).

Every authorization (one code exchange) starts a *family*. Each refresh consumes the
presented token and issues a new one in the same family. Presenting an already-consumed
token means it leaked (the client and an attacker hold the same one), so the whole family is
revoked: every refresh token in it and every access token issued from it.

Single use is decided by a unique insert (:func:`schema.kernel.claims.claim` of
``oauth-refresh:<hash>:used``), not by a ``{_id, usedAt: None}`` conditional update: FerretDB
runs those as unlocked read-modify-writes (and full scans), so several concurrent rotations
could all match. The winner then marks the token used by ``_id``, which is what catches a
reuse once the claim has been swept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import FAMILIES, REFRESH_TOKENS
from auth.families import Document, is_revoked, revoked, with_access_token
from auth.hashing import token_hash
from auth.keys import MAX_TOKEN_LIFETIME
from auth.revocation import RevocationList
from schema.kernel.claims import claim, update_claimed
from schema.kernel.time import as_utc, utcnow

REFRESH_LIFETIME = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """A stored refresh token, shaped as authlib's ``TokenMixin`` wants it."""

    key: str
    family_id: str
    client_id: str
    member_id: str
    partner_id: str
    scope: str
    expires_at: datetime
    used: bool
    revoked: bool

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> RefreshToken:
        return cls(doc["_id"], doc["familyId"], doc["clientId"], doc["memberId"],
                   doc["partnerId"], doc["scope"], as_utc(doc["expiresAt"]),
                   doc.get("usedAt") is not None, doc.get("revokedAt") is not None)

    def check_client(self, client: Any) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked or self.used


class RefreshTokens:
    """``oauth_refresh_tokens`` and ``oauth_token_families``."""

    def __init__(self, db: AsyncDatabase, revocations: RevocationList) -> None:
        self._db = db
        self._tokens = db[REFRESH_TOKENS]
        self._families = db[FAMILIES]
        self._revocations = revocations

    async def record_issue(self, family_id: str, *, jti: str, refresh_token: str | None,
                           client_id: str, member_id: str, partner_id: str,
                           scope: str) -> None:
        """Store what one grant of ``family_id`` issued, so that revoking the family reaches it.

        The refresh token is stored before the access token is recorded in the family; a
        revocation ordered before that record is seen here and revokes both at once, one
        ordered after it finds both.
        """
        if refresh_token is not None:
            await self.save(refresh_token, family_id=family_id, client_id=client_id,
                            member_id=member_id, partner_id=partner_id, scope=scope)
        family = await self._write_family(family_id, partial(
            with_access_token, jti=jti, client_id=client_id, member_id=member_id,
            now=utcnow(), lifetime=REFRESH_LIFETIME))
        if family is not None and is_revoked(family):
            await self._revocations.revoke([jti], utcnow() + MAX_TOKEN_LIFETIME)
            if refresh_token is not None:
                await self._tokens.update_one({"_id": token_hash(refresh_token)},
                                              {"$set": {"revokedAt": utcnow()}})

    async def save(self, token: str, *, family_id: str, client_id: str, member_id: str,
                   partner_id: str, scope: str) -> None:
        now = utcnow()
        await self._tokens.insert_one({
            "_id": token_hash(token), "familyId": family_id, "clientId": client_id,
            "memberId": member_id, "partnerId": partner_id, "scope": scope,
            "createdAt": now, "expiresAt": now + REFRESH_LIFETIME, "usedAt": None,
            "revokedAt": None})

    async def find(self, token: str) -> RefreshToken | None:
        if not isinstance(token, str):
            return None
        doc = await self._tokens.find_one({"_id": token_hash(token)})
        return None if doc is None else RefreshToken.from_document(doc)

    async def consume(self, record: RefreshToken) -> bool:
        """Mark ``record`` used; False when another request consumed it first."""
        if not await claim(self._db, f"oauth-refresh:{record.key}:used"):
            return False
        await self._tokens.update_one({"_id": record.key}, {"$set": {"usedAt": utcnow()}})
        return True

    async def revoke_family(self, family_id: str) -> None:
        """Revoke every refresh and access token of ``family_id`` (once: a family already
        revoked has nothing left to revoke)."""
        now = utcnow()
        family = await self._write_family(family_id, partial(
            revoked, now=now, lifetime=REFRESH_LIFETIME))
        if family is None:
            return
        await self._tokens.update_many({"familyId": family_id, "revokedAt": None},
                                       {"$set": {"revokedAt": now}})
        await self._revocations.revoke(family.get("accessJtis", ()), now + MAX_TOKEN_LIFETIME)

    async def revoke_token(self, record: RefreshToken) -> None:
        """RFC 7009: revoking a refresh token also revokes the grant it belongs to."""
        await self.revoke_family(record.family_id)

    async def revoke_member_client(self, member_id: str, client_id: str) -> int:
        """Revoke every family a member granted to a client (consent withdrawn)."""
        cursor = self._families.find({"memberId": member_id, "clientId": client_id,
                                      "revokedAt": None}, {"_id": 1})
        families = [doc["_id"] async for doc in cursor]
        for family_id in families:
            await self.revoke_family(family_id)
        return len(families)

    async def _write_family(self, family_id: str, change: Callable[[Document | None],
                                                                   Document | None],
                            ) -> Document | None:
        return await update_claimed(self._families, self._db, family_id, change)
