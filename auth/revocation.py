"""Revoked access tokens, by ``jti``, kept until the token would have expired anyway.

Access tokens are self-contained JWTs, so revocation is the one thing a verifier must ask the
database: a single ``_id`` point read per request.

Revocations are plain inserts, a duplicate meaning "already revoked": concurrent upserts of
one ``_id`` collide on FerretDB, and one update command of 100 or more statements (a family
refreshed that often) wedges it, while inserts are neither raced nor limited that way.
"""

from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import REVOKED
from schema.kernel.bulk import insert_missing
from schema.kernel.time import utcnow


class RevocationList:
    """The ``oauth_revoked_tokens`` collection."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._revoked = db[REVOKED]

    async def revoke(self, jtis: Iterable[str], expires_at: datetime) -> None:
        """Refuse ``jtis`` until ``expires_at`` (when they would have expired anyway)."""
        now = utcnow()
        documents = [{"_id": jti, "expiresAt": expires_at, "revokedAt": now} for jti in jtis]
        if documents:
            await insert_missing(self._revoked, documents)

    async def is_revoked(self, jti: str) -> bool:
        return await self._revoked.find_one({"_id": jti}, {"_id": 1}) is not None
