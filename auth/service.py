"""Everything the auth side of one process needs, built once and started at start-up.

``AuthService.create(db, issuer=…)`` wires the stores, the key ring, the token issuer and
verifier and the authlib server; ``await service.start()`` creates indexes and the first
signing key (when the database has none) and loads the keys.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import anyio.to_thread
from authlib.common.security import is_secure_transport
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from auth.clients import ClientRegistry, RevokedApps
from auth.codes import CodeStore
from auth.collections import AUTH_INDEXES
from auth.consents import Consents
from auth.console_users import ConsoleUsers
from auth.keys import KEY_MAX_AGE, MAX_TOKEN_LIFETIME, KeyRing, KeyStore
from auth.members import MemberLogins
from auth.ratelimit import RateLimits
from auth.refresh import RefreshTokens
from auth.revocation import RevocationList
from auth.server import LoopgateAuthorizationServer
from auth.sweeper import sweep_expired
from auth.throttle import Throttles
from auth.tokens import AccessTokenIssuer
from auth.verify import TokenVerifier
from schema.kernel.buckets import MongoBuckets
from schema.kernel.claims import sweep_claims
from schema.kernel.indexes import ensure_indexes

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuthService:
    """The authorization server and token verifier over one database."""

    db: AsyncDatabase
    issuer: str
    clients: ClientRegistry
    keys: KeyStore
    keyring: KeyRing
    revocations: RevocationList
    refresh_tokens: RefreshTokens
    consents: Consents
    members: MemberLogins
    console_users: ConsoleUsers
    verifier: TokenVerifier
    server: LoopgateAuthorizationServer
    throttles: Throttles

    @classmethod
    def create(cls, db: AsyncDatabase, *, issuer: str,
               access_token_lifetime: timedelta = MAX_TOKEN_LIFETIME,
               rate_limits: RateLimits | None = None) -> AuthService:
        """Wire the service; ``rate_limits`` None means the defaults of :class:`RateLimits`,
        counted in ``db`` for every process on it (:class:`~auth.throttle.Throttles`).

        Tests that make many calls from one address pass their own limits here.
        """
        issuer = issuer.rstrip("/")
        if not is_secure_transport(issuer):
            logger.warning("OAuth issuer %s is plain HTTP on a non-loopback host; set "
                           "LOOPGATE_ISSUER to the public https:// URL in production", issuer)
        keys = KeyStore(db)
        keyring = KeyRing(keys)
        revocations = RevocationList(db)
        refresh_tokens = RefreshTokens(db, revocations)
        clients = ClientRegistry(db)
        codes = CodeStore(db)
        console_users = ConsoleUsers(db)
        verifier = TokenVerifier(keyring, revocations, issuer, revoked_apps=RevokedApps(db))
        server = LoopgateAuthorizationServer(
            clients=clients, codes=codes, refresh_tokens=refresh_tokens,
            revocations=revocations,
            issuer=AccessTokenIssuer(keyring, issuer, access_token_lifetime),
            verifier=verifier, console_users=console_users)
        return cls(db=db, issuer=issuer, clients=clients, keys=keys, keyring=keyring,
                   revocations=revocations, refresh_tokens=refresh_tokens,
                   consents=Consents(db, refresh_tokens, codes), members=MemberLogins(db),
                   console_users=console_users,
                   verifier=verifier, server=server,
                   throttles=Throttles(rate_limits or RateLimits(), MongoBuckets(db)))

    async def start(self) -> None:
        """Idempotent start-up: indexes, a signing key if there is none, keys loaded."""
        await ensure_indexes(self.db, AUTH_INDEXES)
        await self.keys.ensure_active()
        await self.keyring.refresh(force=True)

    async def rotate_keys(self) -> str:
        """Start signing with a new key; the previous one verifies until its tokens expire."""
        kid = await self.keys.rotate()
        await self.keyring.refresh(force=True)
        return kid

    async def maintain(self, *, key_max_age: timedelta = KEY_MAX_AGE) -> None:
        """One round of upkeep: rotate an old signing key, delete expired documents and old
        claims (auth spends codes and refresh tokens by claim; a host without the platform
        subgraphs' sweep jobs still gets them cleared).

        The host calls this periodically (e.g. every few minutes from its lifespan); it is
        safe to run from several processes at once.
        """
        if await self.keys.rotate_if_older(key_max_age) is not None:
            await self.keyring.refresh(force=True)
        await sweep_expired(self.db)
        await sweep_claims(self.db)

    async def upkeep_forever(self, interval_s: float = 300.0) -> None:
        """:meth:`maintain` every ``interval_s`` until cancelled; a failed round is logged."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.maintain()
            except PyMongoError:
                logger.exception("auth upkeep failed; retrying in %s s", interval_s)

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """Run a synchronous authlib call in a worker thread, keys fresh beforehand."""
        await self.keyring.refresh()
        return await anyio.to_thread.run_sync(function, *args)
