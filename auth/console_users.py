"""Console accounts: the people of a partner who sign in to the web console (issue #17).

A console user belongs to one partner and has one role; the role decides the scopes of the
tokens the console gets for them (:data:`ROLE_SCOPES`), bounded by the scopes the partner may
grant at all (``grantableScopes``, :mod:`partners.registry`). Store staff are bound to some
stores of their partner, as a store-bound app is (``storeIds``, README "Store-bound apps"): their
tokens carry the binding. Admins and developers are unbound.

``console_users``        ``{_id: usr_…, partnerId, email, role, storeIds, passwordHash,
                         createdAt, createdBy}``
``console_user_emails``  ``{_id: <email, lower case>, userId}``: inserted first, so one email is
                         one account (a unique insert is atomic on FerretDB as on MongoDB)
``console_signins``      ``{_id: sha256(cookie), userId, expiresAt}``: the short sign-in of the
                         authorize page, spent by the authorization it allows

Passwords are hashed like members' (:func:`auth.hashing.hash_password`, scrypt). These users are
not members: a member's sign-in never reaches the console client, nor the reverse.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from auth.collections import CONSOLE_SIGNINS as SIGNINS
from auth.collections import CONSOLE_USERS as USERS
from auth.hashing import hash_password, token_hash, verify_password
from schema.kernel.ids import InvalidId, new_id, parse_id
from schema.kernel.time import as_utc, utcnow

EMAILS = "console_user_emails"
USER_PREFIX = "usr"
SIGNIN_LIFETIME = timedelta(minutes=10)
PASSWORD_MIN = 10
EMAIL_MAX = 254

READS = frozenset({"stores:read", "catalog:read", "inventory:read", "orders:read",
                   "members:read", "points:read", "payments:read", "vouchers:read"})
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": READS | {"apps:manage", "webhooks:manage", "subgraphs:manage", "orders:write"},
    "developer": READS | {"webhooks:manage", "subgraphs:manage"},
    "staff": frozenset({"stores:read", "orders:read", "orders:write", "vouchers:read",
                        "vouchers:redeem"}),
}
"""What each role's tokens may do; staff act only at their stores. Admins may also move
orders (``orders:write``: the merchant console's order boards); redeeming vouchers stays with
the store's own staff."""
ROLES: tuple[str, ...] = tuple(ROLE_SCOPES)
ALL_ROLE_SCOPES: frozenset[str] = frozenset().union(*ROLE_SCOPES.values())
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_UNKNOWN_USER_HASH = hash_password(secrets.token_urlsafe(16))


class ConsoleUserError(ValueError):
    """A console user cannot be created or changed as asked; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A person of a partner with a console role (``store_ids``: staff only)."""

    id: str
    partner_id: str
    email: str
    role: str
    store_ids: tuple[str, ...]
    created_at: datetime

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ConsoleUser:
        return cls(doc["_id"], doc["partnerId"], doc["email"], doc["role"],
                   tuple(doc.get("storeIds", ())), doc["createdAt"])


def is_console_user_id(value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{USER_PREFIX}_")


def normalise_email(email: str) -> str:
    """The stored form of an email: trimmed, lower case; anything not shaped like one refused."""
    value = email.strip().lower() if isinstance(email, str) else ""
    if len(value) > EMAIL_MAX or not _EMAIL.fullmatch(value):
        raise ConsoleUserError(f"not an email address: {str(email)[:60]!r}")
    return value


def new_password() -> str:
    """A one-time password to hand to a new user (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def role_scopes(role: str, grantable: Iterable[str] | None) -> frozenset[str]:
    """The scopes of ``role``, within the partner's ``grantable`` scopes (None: no limit)."""
    scopes = ROLE_SCOPES[role]
    return scopes if grantable is None else scopes & frozenset(grantable)


def _checked(role: str, store_ids: Sequence[str], password: str) -> tuple[str, ...]:
    if role not in ROLE_SCOPES:
        raise ConsoleUserError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    try:
        stores = tuple(sorted({parse_id(store_id, "sto") for store_id in store_ids}))
    except InvalidId as exc:
        raise ConsoleUserError(str(exc)) from exc
    if role == "staff" and not stores:
        raise ConsoleUserError("store staff need at least one store")
    if role != "staff" and stores:
        raise ConsoleUserError("only store staff are bound to stores")
    if len(password) < PASSWORD_MIN:
        raise ConsoleUserError(f"a password has at least {PASSWORD_MIN} characters")
    return stores


class ConsoleUsers:
    """``console_users``, ``console_user_emails`` and ``console_signins``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._db = db
        self._users = db[USERS]
        self._emails = db[EMAILS]
        self._signins = db[SIGNINS]

    async def create(self, *, partner_id: str, email: str, role: str, password: str,
                     store_ids: Sequence[str] = (), created_by: str | None = None,
                     ) -> ConsoleUser:
        """A new user; ``store_ids`` are stores the caller checked belong to ``partner_id``."""
        parse_id(partner_id, "ptn")
        address = normalise_email(email)
        stores = _checked(role, store_ids, password)
        user_id = new_id(USER_PREFIX)
        try:
            await self._emails.insert_one({"_id": address, "userId": user_id})
        except DuplicateKeyError as exc:
            raise ConsoleUserError(f"{address} already has a console account") from exc
        doc = {"_id": user_id, "partnerId": partner_id, "email": address, "role": role,
               "storeIds": list(stores), "createdAt": utcnow(), "createdBy": created_by,
               "passwordHash": await asyncio.to_thread(hash_password, password)}
        await self._users.insert_one(doc)
        return ConsoleUser.from_document(doc)

    async def get(self, user_id: str) -> ConsoleUser | None:
        if not is_console_user_id(user_id):
            return None
        doc = await self._users.find_one({"_id": user_id})
        return None if doc is None else ConsoleUser.from_document(doc)

    async def find_by_email(self, email: str) -> ConsoleUser | None:
        """The account of ``email`` (any case), None when there is none."""
        try:
            link = await self._emails.find_one({"_id": normalise_email(email)})
        except ConsoleUserError:
            return None
        return None if link is None else await self.get(str(link["userId"]))

    async def list_for_partner(self, partner_id: str) -> list[ConsoleUser]:
        cursor = self._users.find({"partnerId": partner_id}).sort("_id", 1)
        return [ConsoleUser.from_document(doc) async for doc in cursor]

    async def remove(self, user_id: str) -> ConsoleUser | None:
        """Delete the account (its email becomes free); None when there was none."""
        user = await self.get(user_id)
        if user is None:
            return None
        await self._users.delete_one({"_id": user_id})
        await self._emails.delete_one({"_id": user.email, "userId": user_id})
        return user

    async def authenticate(self, email: str, password: str) -> ConsoleUser | None:
        """The user of a correct email and password, else None (same time either way)."""
        try:
            address = normalise_email(email)
        except ConsoleUserError:
            address = ""
        link = await self._emails.find_one({"_id": address}) if address else None
        doc = await self._users.find_one({"_id": link["userId"]}) if link else None
        stored = doc["passwordHash"] if doc is not None else _UNKNOWN_USER_HASH
        if not await asyncio.to_thread(verify_password, password, stored) or doc is None:
            return None
        return ConsoleUser.from_document(doc)

    async def open_signin(self, user_id: str) -> str:
        """A sign-in for the authorize page; returns the cookie value (stored as a hash)."""
        cookie = secrets.token_urlsafe(32)
        await self._signins.insert_one({"_id": token_hash(cookie), "userId": user_id,
                                        "expiresAt": utcnow() + SIGNIN_LIFETIME})
        return cookie

    async def signed_in(self, cookie: str | None) -> str | None:
        """The user id of a live sign-in cookie."""
        if not cookie:
            return None
        doc = await self._signins.find_one({"_id": token_hash(cookie)})
        if doc is None or as_utc(doc["expiresAt"]) <= utcnow():
            return None
        return str(doc["userId"])

    async def end_signin(self, cookie: str | None) -> None:
        if cookie:
            await self._signins.delete_one({"_id": token_hash(cookie)})
