"""Revoked access tokens, by ``jti``, kept until the token would have expired anyway.

Access tokens are self-contained JWTs, so revocation is the one thing a verifier must ask the
database: a single ``_id`` point read per request.
"""

from collections.abc import Iterable
from datetime import datetime

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import REVOKED
from schema.kernel.time import utcnow


class RevocationList:
    """The ``oauth_revoked_tokens`` collection."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._revoked = db[REVOKED]

    async def revoke(self, jtis: Iterable[str], expires_at: datetime) -> None:
        ops = [UpdateOne({"_id": jti}, {"$set": {"expiresAt": expires_at,
                                                  "revokedAt": utcnow()}}, upsert=True)
               for jti in jtis]
        if ops:
            await self._revoked.bulk_write(ops, ordered=False)

    async def is_revoked(self, jti: str) -> bool:
        return await self._revoked.find_one({"_id": jti}, {"_id": 1}) is not None
