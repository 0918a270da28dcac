"""Authorization codes: single use, short-lived, bound to client, redirect URI and PKCE challenge.

A code is consumed when first presented, and two concurrent exchanges cannot both win: the
arbiter is a unique insert (:func:`schema.kernel.claims.claim` of ``oauth-code:<hash>:used``),
since FerretDB runs a ``{_id, usedAt: None}`` conditional update as an unlocked
read-modify-write that several callers can match. The winner then marks the code used by
``_id``. Presenting a consumed code again, or losing that race, is treated as an attack
(RFC 6749 §4.1.2): the tokens already issued from it are revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from ulid import ULID

from auth.collections import CODES
from auth.hashing import token_hash
from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.claims import claim, claim_many
from schema.kernel.time import as_utc, utcnow

CODE_LIFETIME = timedelta(minutes=5)


def _used(key: str) -> str:
    """The claim that spends the code stored under ``key``."""
    return f"oauth-code:{key}:used"


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """A stored code, shaped as authlib's ``AuthorizationCodeMixin`` and ``CodeChallenge`` want."""

    client_id: str
    member_id: str
    partner_id: str
    redirect_uri: str | None
    scope: str
    code_challenge: str
    code_challenge_method: str
    family_id: str
    expires_at: datetime

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> AuthorizationCode:
        return cls(doc["clientId"], doc["memberId"], doc["partnerId"], doc.get("redirectUri"),
                   doc["scope"], doc["codeChallenge"], doc["codeChallengeMethod"],
                   doc["familyId"], as_utc(doc["expiresAt"]))

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True, slots=True)
class Redemption:
    """The outcome of presenting a code: the code when valid, else the family to revoke."""

    code: AuthorizationCode | None
    replayed_family: str | None = None


class CodeStore:
    """The ``oauth_codes`` collection."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._codes = db[CODES]

    async def save(self, code: str, *, client_id: str, member_id: str, partner_id: str,
                   redirect_uri: str | None, scope: str, challenge: str, method: str) -> None:
        now = utcnow()
        await self._codes.insert_one({
            "_id": token_hash(code), "clientId": client_id, "memberId": member_id,
            "partnerId": partner_id, "redirectUri": redirect_uri, "scope": scope,
            "codeChallenge": challenge, "codeChallengeMethod": method,
            "familyId": f"fam:{ULID()}", "createdAt": now, "expiresAt": now + CODE_LIFETIME,
            "usedAt": None,
        })

    async def redeem(self, code: str, client_id: str) -> Redemption:
        """Consume ``code`` for ``client_id``; a second presentation reports its family."""
        if not isinstance(code, str):
            return Redemption(None)
        key = token_hash(code)
        doc = await self._codes.find_one({"_id": key})
        if doc is None:
            return Redemption(None)
        if doc.get("usedAt") is not None or not await claim(self._db, _used(key)):
            return Redemption(None, doc["familyId"])
        await self._codes.update_one({"_id": key}, {"$set": {"usedAt": utcnow()}})
        found = AuthorizationCode.from_document(doc)
        if found.client_id != client_id or found.expires_at <= utcnow():
            return Redemption(None)
        return Redemption(found)

    async def void_for(self, member_id: str, client_id: str) -> None:
        """Spend every unused code a member granted a client (their consent was withdrawn).

        Each code is spent through the same claim as a redemption, so a code being exchanged
        at this moment is either spent here (the exchange then counts as a replay) or was
        exchanged first.
        """
        cursor = self._codes.find({"memberId": member_id, "clientId": client_id,
                                   "usedAt": None}, {"_id": 1})
        keys = [doc["_id"] async for doc in cursor]
        won = await claim_many(self._db, [_used(key) for key in keys])
        now = utcnow()
        await bulk_write_chunked(self._codes, [
            UpdateOne({"_id": key}, {"$set": {"usedAt": now}})
            for key, mine in zip(keys, won, strict=True) if mine])
