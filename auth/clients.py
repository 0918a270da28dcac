"""OAuth clients (partner apps): registration, lookup, secret rotation with overlap.

A client belongs to one partner (``app_…`` id, DESIGN.md §5), and may be bound to some of that
partner's stores (``storeIds``, issue #12: a store's staff app; its tokens carry the binding),
or to one courier (``courierId``, issue #14: a free id the merchant assigns; its tokens act as
that courier), not both.
The registry takes store ids already resolved and checked by the caller (the CLI reads them
through the stores domain; auth depends on the kernel only). Its secret is shown once, at
creation or rotation, and stored only as a hash. Rotation keeps the previous secret valid for
an overlap window, so a partner can roll a fleet of servers to the new secret without downtime.

Scopes: an app never holds a scope its partner may not grant. A partner document carries
``grantableScopes`` (written by :mod:`partners.registry`); registration refuses any other scope
(:class:`ScopeNotGrantable`), whoever registers, the CLI included. A partner without that field
(or without a document, as in tests that invent partner ids) is limited by the catalogue only.
Self-service (a partner's own ``apps:manage`` token) additionally never grants
``platform:admin``.

Revocation: a revoked client (``revoked``, ``revokedAt``) authenticates nowhere (authlib asks
``check_endpoint_auth_method`` for every client authentication: it answers False, so the token
endpoint says ``invalid_client``), and the tokens it already holds stop verifying: the verifier
asks :class:`RevokedApps`, a per-process cache of one ``_id`` point read per client at most
every :data:`REVOKED_APPS_MAX_AGE_S` seconds. That is the bound on how long a token of a
revoked app keeps working in any process that has the database; a verifier without it (the
standalone gateway with only the issuer's JWKS) accepts it until it expires (15 minutes).
Writes to a client document (rotation, revocation) go through the kernel's revision claim, so a
rotation racing a revocation cannot undo it on FerretDB.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin
from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import CLIENTS
from auth.hashing import new_secret, token_hash
from auth.scopes import parse_scopes
from schema.kernel.claims import update_claimed
from schema.kernel.ids import InvalidId, new_id, parse_id
from schema.kernel.principal import Principal, is_courier_id
from schema.kernel.time import as_utc, utcnow

GRANT_TYPES: frozenset[str] = frozenset({"client_credentials", "authorization_code",
                                          "refresh_token"})
DEFAULT_SECRET_OVERLAP = timedelta(hours=24)
SECRET_PREFIX = "lgs"
PARTNERS = "partners"
REVOKED_APPS_MAX_AGE_S = 5.0
"""How long a process trusts its last read of whether a client is revoked."""


class ClientRegistrationError(ValueError):
    """A client cannot be registered or changed as asked; the message says what to fix."""


class RegistrationForbidden(PermissionError):
    """The caller may not register or change clients for that partner, or with that scope."""


class ScopeNotGrantable(ClientRegistrationError):
    """A scope the app's partner may not grant to its apps."""


PLATFORM_ONLY_SCOPES: frozenset[str] = frozenset({"platform:admin"})


@dataclass(frozen=True, slots=True)
class SecretHash:
    """One accepted secret: its hash and, for a rotated-out secret, when it stops working."""

    hash: str
    created_at: datetime
    expires_at: datetime | None = None

    def accepts(self, secret: str, now: datetime) -> bool:
        alive = self.expires_at is None or as_utc(self.expires_at) > now
        return alive and hmac.compare_digest(self.hash, token_hash(secret))


@dataclass(frozen=True, slots=True)
class OAuthClient(ClientMixin):
    """A registered OAuth client, shaped as authlib's ``ClientMixin`` wants it."""

    client_id: str
    partner_id: str
    name: str
    scopes: tuple[str, ...]
    grant_types: tuple[str, ...]
    redirect_uris: tuple[str, ...] = ()
    public: bool = False
    resource_server: bool = False
    sandbox: bool = False
    store_ids: tuple[str, ...] = ()
    courier_id: str | None = None
    secrets: tuple[SecretHash, ...] = field(default=(), repr=False)
    revoked: bool = False
    revoked_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> OAuthClient:
        return cls(
            client_id=doc["_id"], partner_id=doc["partnerId"], name=doc["name"],
            scopes=tuple(doc["scopes"]), grant_types=tuple(doc["grantTypes"]),
            redirect_uris=tuple(doc.get("redirectUris", ())), public=doc.get("public", False),
            resource_server=doc.get("resourceServer", False), sandbox=doc.get("sandbox", False),
            store_ids=tuple(doc.get("storeIds", ())), courier_id=doc.get("courierId"),
            secrets=tuple(SecretHash(s["hash"], s["createdAt"], s.get("expiresAt"))
                          for s in doc.get("secrets", ())),
            revoked=doc.get("revoked") is True, revoked_at=doc.get("revokedAt"),
            created_at=doc.get("createdAt"),
        )

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope to grant: all of the client's scopes when none asked, None when not allowed."""
        if not scope:
            return " ".join(self.scopes)
        asked = set(scope.split())
        return " ".join(sorted(asked)) if asked <= set(self.scopes) else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact string match (RFC 9700 §4.1.3): no prefix or wildcard matching."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        now = utcnow()
        return any(secret.accepts(client_secret, now) for secret in self.secrets)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """authlib asks this for every client authentication: a revoked client has none."""
        if self.revoked:
            return False
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return (not self.revoked and response_type == "code"
                and "authorization_code" in self.grant_types)

    def check_grant_type(self, grant_type: str) -> bool:
        return not self.revoked and grant_type in self.grant_types


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A new client and its secret in clear, which is never shown again."""

    client: OAuthClient
    client_secret: str | None


def _store_ids(store_ids: Sequence[str]) -> list[str]:
    """Bound store ids, sorted without repeats; anything but ``sto_`` ids is refused."""
    try:
        return sorted({parse_id(store_id, "sto") for store_id in store_ids})
    except InvalidId as exc:
        raise ClientRegistrationError(str(exc)) from exc


def _courier_id(courier_id: str | None, stores: list[str]) -> str | None:
    """A courier id as given (1 to 64 of A-Za-z0-9_-), for an app not bound to stores."""
    if courier_id is None:
        return None
    if not is_courier_id(courier_id):
        raise ClientRegistrationError(
            f"a courier id is 1 to 64 letters, digits, '_' or '-', got {courier_id!r}")
    if stores:
        raise ClientRegistrationError("an app is bound to stores or to a courier, not both")
    return courier_id


def _validated(scopes: str | list[str], grant_types: list[str], redirect_uris: list[str],
               public: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        scope_names = parse_scopes(scopes)
    except ValueError as exc:
        raise ClientRegistrationError(str(exc)) from exc
    unknown = sorted(set(grant_types) - GRANT_TYPES)
    if unknown or not grant_types:
        raise ClientRegistrationError(
            f"grant types must be among {sorted(GRANT_TYPES)}, got {grant_types}")
    if "authorization_code" in grant_types and not redirect_uris:
        raise ClientRegistrationError("an authorization_code client needs a redirect URI")
    if public and "client_credentials" in grant_types:
        raise ClientRegistrationError("a public client cannot use client_credentials")
    return scope_names, tuple(sorted(set(grant_types)))


def _grantable(scopes: tuple[str, ...], grantable: Iterable[str] | None) -> None:
    """Refuse scopes outside ``grantable`` (None: no partner limit)."""
    if grantable is None:
        return
    extra = sorted(set(scopes) - set(grantable))
    if extra:
        raise ScopeNotGrantable(
            f"the partner may not grant {' '.join(extra)} to its apps; it may grant: "
            f"{' '.join(sorted(grantable)) or 'nothing'}")


class ClientRegistry:
    """Clients in ``oauth_clients``; every lookup is an ``_id`` point read."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._clients = db[CLIENTS]

    async def grantable_scopes(self, partner_id: str) -> frozenset[str] | None:
        """The scopes ``partner_id`` may grant its apps; None when its document sets none."""
        doc = await self._db[PARTNERS].find_one({"_id": partner_id}, {"grantableScopes": 1})
        if doc is None or not isinstance(doc.get("grantableScopes"), list):
            return None
        return frozenset(doc["grantableScopes"])

    async def create(self, *, partner_id: str, name: str, scopes: str | list[str],
                     grant_types: list[str] | None = None, redirect_uris: list[str] = (),
                     public: bool = False, resource_server: bool = False,
                     sandbox: bool = False, store_ids: Sequence[str] = (),
                     courier_id: str | None = None, created_by: str | None = None,
                     grantable: Iterable[str] | None = None) -> IssuedClient:
        """Register a client for ``partner_id``; returns the one-time clear secret.

        ``store_ids`` binds the app to those stores, which the caller has checked belong to
        ``partner_id``; empty means unbound (the app acts for all the partner's stores).
        ``courier_id`` binds it to that courier instead (its tokens act as the courier).
        ``grantable`` limits the scopes (default: the partner document's ``grantableScopes``).
        """
        parse_id(partner_id, "ptn")
        stores = _store_ids(store_ids)
        courier = _courier_id(courier_id, stores)
        grants = grant_types or ["client_credentials"]
        scope_names, grants_sorted = _validated(scopes, grants, list(redirect_uris), public)
        _grantable(scope_names, grantable if grantable is not None
                   else await self.grantable_scopes(partner_id))
        now = utcnow()
        secret = None if public else new_secret(SECRET_PREFIX)
        doc = {
            "_id": new_id("app"), "partnerId": partner_id, "name": name,
            "scopes": list(scope_names), "grantTypes": list(grants_sorted),
            "redirectUris": list(redirect_uris), "public": public,
            "resourceServer": resource_server, "sandbox": sandbox, "storeIds": stores,
            "courierId": courier,
            "secrets": [] if secret is None else [{"hash": token_hash(secret), "createdAt": now}],
            "createdAt": now, "createdBy": created_by, "revoked": False,
        }
        await self._clients.insert_one(doc)
        return IssuedClient(OAuthClient.from_document(doc), secret)

    async def create_for(self, principal: Principal, *, partner_id: str, name: str,
                         scopes: str | list[str], **options: Any) -> IssuedClient:
        """Register a client on behalf of ``principal``: the platform admin for any partner,
        a partner for its own apps only, and never with a platform-only scope; within the
        partner's grantable scopes either way."""
        if not principal.owns(partner_id):
            raise RegistrationForbidden("a partner may only register apps for itself")
        asked = set(scopes.split() if isinstance(scopes, str) else scopes)
        if asked & PLATFORM_ONLY_SCOPES and not principal.is_admin:
            raise RegistrationForbidden(
                f"only the platform admin may grant {' '.join(sorted(PLATFORM_ONLY_SCOPES))}")
        return await self.create(partner_id=partner_id, name=name, scopes=scopes,
                                 created_by=principal.client_id, **options)

    async def rotate_secret_for(self, principal: Principal, client_id: str,
                                overlap: timedelta = DEFAULT_SECRET_OVERLAP) -> str:
        """Rotate a secret on behalf of ``principal``, who must own the client."""
        client = await self.get(client_id)
        if client is None or not principal.owns(client.partner_id):
            raise RegistrationForbidden(f"no client {client_id} of yours")
        return await self.rotate_secret(client_id, overlap)

    async def get(self, client_id: str) -> OAuthClient | None:
        if not isinstance(client_id, str):
            return None
        doc = await self._clients.find_one({"_id": client_id})
        return None if doc is None else OAuthClient.from_document(doc)

    async def list_for_partner(self, partner_id: str) -> list[OAuthClient]:
        cursor = self._clients.find({"partnerId": partner_id}).sort("_id", 1)
        return [OAuthClient.from_document(doc) async for doc in cursor]

    async def rotate_secret(self, client_id: str,
                            overlap: timedelta = DEFAULT_SECRET_OVERLAP) -> str:
        """Issue a new secret; the current ones keep working for ``overlap``, older ones stop.

        A revoked client has nothing to rotate."""
        secret = new_secret(SECRET_PREFIX)

        def change(doc: dict[str, Any] | None) -> dict[str, Any]:
            if doc is None:
                raise ClientRegistrationError(f"no client {client_id}")
            if doc.get("public"):
                raise ClientRegistrationError("a public client has no secret to rotate")
            if doc.get("revoked") is True:
                raise ClientRegistrationError(f"client {client_id} is revoked")
            now = utcnow()
            deadline = now + overlap
            kept = [{**s, "expiresAt": min(as_utc(s["expiresAt"]), deadline)
                     if s.get("expiresAt") else deadline}
                    for s in doc.get("secrets", ()) if not s.get("expiresAt")
                    or as_utc(s["expiresAt"]) > now]
            return {**doc, "secrets": [*kept, {"hash": token_hash(secret), "createdAt": now}]}

        await update_claimed(self._clients, self._db, client_id, change)
        return secret

    async def revoke(self, client_id: str) -> OAuthClient:
        """Revoke a client for good: no more tokens, and its tokens stop verifying within
        :data:`REVOKED_APPS_MAX_AGE_S`. Revoking a revoked client changes nothing."""
        def change(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            if doc is None:
                raise ClientRegistrationError(f"no client {client_id}")
            if doc.get("revoked") is True:
                return None
            return {**doc, "revoked": True, "revokedAt": utcnow()}

        doc = (await update_claimed(self._clients, self._db, client_id, change)
               or await self._clients.find_one({"_id": client_id}))
        if doc is None:
            raise ClientRegistrationError(f"no client {client_id}")
        return OAuthClient.from_document(doc)


class RevokedApps:
    """Whether a token's client is revoked, as this process read it at most
    :data:`REVOKED_APPS_MAX_AGE_S` ago (one ``_id`` point read per client per period;
    concurrent requests of one client share the read). A revoked client never comes back, so
    that answer is kept for good. A client without a document is not called revoked: tokens
    are only accepted once their signature verified, and some are minted for test clients."""

    def __init__(self, db: AsyncDatabase, max_age_s: float = REVOKED_APPS_MAX_AGE_S) -> None:
        self._clients = db[CLIENTS]
        self.max_age_s = max_age_s
        self._seen: dict[str, tuple[bool, float]] = {}
        self._reading: dict[str, asyncio.Future[bool]] = {}

    async def is_revoked(self, client_id: str) -> bool:
        seen = self._seen.get(client_id)
        if seen is not None and (seen[0] or time.monotonic() - seen[1] < self.max_age_s):
            return seen[0]
        reading = self._reading.get(client_id)
        if reading is None:
            reading = self._reading[client_id] = asyncio.ensure_future(self._read(client_id))
            reading.add_done_callback(lambda _done: self._reading.pop(client_id, None))
        return await asyncio.shield(reading)

    async def _read(self, client_id: str) -> bool:
        read_at = time.monotonic()
        doc = await self._clients.find_one({"_id": client_id}, {"revoked": 1})
        revoked = doc is not None and doc.get("revoked") is True
        self._seen[client_id] = (revoked, read_at)
        return revoked
