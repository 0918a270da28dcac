"""Token signing keys: stored in MongoDB, created at start-up when none, rotated with overlap.

Keys are generated on the server and never leave the database (nothing is committed). The
newest active key signs; a rotated-out key stays published in the JWKS and keeps verifying
until every token it signed has expired (``verifyUntil``), so rotation never logs anyone out.
Every process (N uvicorn workers, split gateways) reads the same collection, so a rotation
done by one is seen by all on their next refresh.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import RSAKey
from pymongo.asynchronous.database import AsyncDatabase
from ulid import ULID

from auth.collections import SIGNING_KEYS
from schema.kernel.time import as_utc, utcnow

ALGORITHM = "RS256"
MAX_TOKEN_LIFETIME = timedelta(minutes=15)
# Clocks of the issuer and of a verifier (another gateway, a subgraph) may differ: a token is
# accepted until CLOCK_SKEW after its ``exp``, and its ``iat``/``nbf`` may lie up to CLOCK_SKEW in
# the verifier's future. So a 15-minute token can be honoured for up to 16 minutes, and key
# rotation keeps a retired key verifying MAX_TOKEN_LIFETIME + CLOCK_SKEW.
CLOCK_SKEW = timedelta(seconds=60)
REFRESH_INTERVAL_S = 60.0
KEY_MAX_AGE = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key pair; ``retired_at`` set once it stops signing."""

    kid: str
    key: RSAKey
    public_key: RSAKey
    created_at: datetime
    retired_at: datetime | None
    verify_until: datetime | None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> SigningKey:
        return cls(kid=doc["_id"], key=RSAKey.import_key(doc["privateJwk"]),
                   public_key=RSAKey.import_key(doc["publicJwk"]),
                   created_at=as_utc(doc["createdAt"]),
                   retired_at=as_utc(doc["retiredAt"]) if doc.get("retiredAt") else None,
                   verify_until=as_utc(doc["verifyUntil"]) if doc.get("verifyUntil") else None)

    def verifies_at(self, now: datetime) -> bool:
        return self.verify_until is None or self.verify_until > now

    def public_jwk(self) -> dict[str, Any]:
        return self.public_key.as_dict(private=False)


def _generate_document(now: datetime) -> dict[str, Any]:
    kid = f"key-{ULID()}".lower()
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM},
                              private=True)
    return {"_id": kid, "alg": ALGORITHM, "privateJwk": key.as_dict(private=True),
            "publicJwk": key.as_dict(private=False), "createdAt": now,
            "retiredAt": None, "verifyUntil": None}


class KeyStore:
    """The ``oauth_signing_keys`` collection."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._keys = db[SIGNING_KEYS]

    async def load(self) -> list[SigningKey]:
        return [SigningKey.from_document(doc) async for doc in self._keys.find({})]

    async def ensure_active(self) -> None:
        """Create a signing key when no active one exists (first start of a fresh database)."""
        if await self._keys.find_one({"retiredAt": None}) is None:
            await self._insert_new()

    async def rotate(self, overlap: timedelta = MAX_TOKEN_LIFETIME + CLOCK_SKEW) -> str:
        """A new signing key; older ones stop signing and verify for ``overlap`` more.

        Only keys created before the new one are retired, so two processes rotating at once
        leave the newest key active (and the other new key verifying through the overlap).
        """
        kid, created_at = await self._insert_new()
        now = utcnow()
        await self._keys.update_many(
            {"_id": {"$ne": kid}, "retiredAt": None, "createdAt": {"$lte": created_at}},
            {"$set": {"retiredAt": now, "verifyUntil": now + overlap}})
        return kid

    async def rotate_if_older(self, max_age: timedelta = KEY_MAX_AGE) -> str | None:
        """Rotate when the newest active key is older than ``max_age``; the new kid or None."""
        newest = await self._keys.find_one({"retiredAt": None}, sort=[("createdAt", -1)])
        if newest is not None and as_utc(newest["createdAt"]) > utcnow() - max_age:
            return None
        return await self.rotate()

    async def _insert_new(self) -> tuple[str, datetime]:
        doc = await asyncio.to_thread(_generate_document, utcnow())
        await self._keys.insert_one(doc)
        return doc["_id"], doc["createdAt"]


@dataclass
class KeyRing:
    """The keys of one process, reloaded from the store at most every ``REFRESH_INTERVAL_S``.

    An unknown ``kid`` forces a reload (rate-limited), so a key created by another process
    is picked up before its first token is refused.
    """

    store: KeyStore
    keys: dict[str, SigningKey] = field(default_factory=dict)
    loaded_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self, *, force: bool = False) -> None:
        async with self._lock:
            stale = time.monotonic() - self.loaded_at > REFRESH_INTERVAL_S
            if not (force or stale):
                return
            self.keys = {key.kid: key for key in await self.store.load()}
            self.loaded_at = time.monotonic()

    async def refresh_for(self, kid: str) -> None:
        """Reload when ``kid`` is unknown, at most once a second."""
        if kid not in self.keys and time.monotonic() - self.loaded_at > 1.0:
            await self.refresh(force=True)

    def signing_key(self) -> SigningKey:
        """The newest key that has not been retired."""
        active = [key for key in self.keys.values() if key.retired_at is None]
        if not active:
            raise RuntimeError("no active signing key; the auth service was not started")
        return max(active, key=lambda key: (key.created_at, key.kid))

    def verification_key(self, kid: str) -> RSAKey | None:
        """The public key for ``kid`` while it may still verify, else None."""
        key = self.keys.get(kid)
        return key.public_key if key is not None and key.verifies_at(utcnow()) else None

    def jwks(self) -> dict[str, Any]:
        now = utcnow()
        return {"keys": [key.public_jwk() for key in sorted(
            self.keys.values(), key=lambda k: k.created_at, reverse=True) if key.verifies_at(now)]}
