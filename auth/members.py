"""Member sign-in for the authorization-code flow: demo credentials and browser sessions.

Members are owned by the membership domain; auth only keeps how a member signs in here
(``oauth_member_logins``) and the short browser session of the login/consent pages.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import MEMBER_LOGINS, SESSIONS
from auth.hashing import hash_password, token_hash, verify_password
from schema.kernel.ids import parse_id
from schema.kernel.time import as_utc, utcnow

SESSION_LIFETIME = timedelta(hours=1)
_UNKNOWN_USER_HASH = hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in member in one browser; ``csrf`` guards the consent forms."""

    member_id: str
    csrf: str


class MemberLogins:
    """``oauth_member_logins`` and ``oauth_sessions``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._logins = db[MEMBER_LOGINS]
        self._sessions = db[SESSIONS]

    async def set_login(self, username: str, password: str, member_id: str) -> None:
        """Create or replace the credential ``username``/``password`` for ``member_id``."""
        parse_id(member_id, "mem")
        await self._logins.update_one(
            {"_id": f"login:{username}"},
            {"$set": {"memberId": member_id, "passwordHash": hash_password(password)}},
            upsert=True)

    async def authenticate(self, username: str, password: str) -> str | None:
        """The member id for a correct credential, else None."""
        doc = await self._logins.find_one({"_id": f"login:{username}"})
        stored = doc["passwordHash"] if doc is not None else _UNKNOWN_USER_HASH
        # the hash is checked even for an unknown name, so timing does not reveal members; in a
        # worker thread, as scrypt takes tens of milliseconds and releases the GIL
        if not await asyncio.to_thread(verify_password, password, stored) or doc is None:
            return None
        return str(doc["memberId"])

    async def open_session(self, member_id: str) -> str:
        """A new session; returns the cookie value (stored only as a hash)."""
        cookie = secrets.token_urlsafe(32)
        await self._sessions.insert_one({
            "_id": token_hash(cookie), "memberId": member_id,
            "csrf": secrets.token_urlsafe(24), "expiresAt": utcnow() + SESSION_LIFETIME})
        return cookie

    async def session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        doc = await self._sessions.find_one({"_id": token_hash(cookie)})
        if doc is None or as_utc(doc["expiresAt"]) <= utcnow():
            return None
        return Session(doc["memberId"], doc["csrf"])
