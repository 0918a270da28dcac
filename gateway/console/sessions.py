"""Console sessions: who is signed in to ``/console`` in one browser, and their tokens.

The browser holds only a random cookie (HttpOnly, SameSite=Lax, Secure on an https issuer);
the session document, found by the cookie's SHA-256 as ``_id`` (a point read on FerretDB as on
MongoDB), holds the console client's access and refresh tokens, so no token ever reaches page
script. A session starts *pending* (the PKCE verifier and ``state`` of the sign-in under way)
and becomes signed in when the callback exchanges the code. It lasts :data:`SESSION_LIFETIME`
from sign-in; an expired one is deleted when met, and the auth sweeper deletes the rest
(``console_sessions`` is among :data:`auth.collections.EXPIRING`).

``csrf`` is the session's form token (:mod:`gateway.console.csrf`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import CONSOLE_SESSIONS
from auth.hashing import token_hash
from schema.kernel.time import as_utc, utcnow

COOKIE = "loopgate_console"
COOKIE_PATH = "/console"
PENDING_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The person behind a session, as their console token says."""

    user_id: str
    email: str
    role: str
    partner_id: str
    store_ids: frozenset[str]
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None


@dataclass(frozen=True, slots=True)
class Flash:
    """A message for the next page after a form (post, redirect, get: a reload re-posts
    nothing); ``secret`` is a value shown once (a new client secret), gone once shown."""

    text: str
    error: bool = False
    secret: str | None = None
    secret_label: str | None = None

    def document(self) -> dict[str, Any]:
        return {"text": self.text, "error": self.error, "secret": self.secret,
                "secretLabel": self.secret_label}


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """One browser's session; ``user`` and ``tokens`` are None while sign-in is pending."""

    key: str
    csrf: str
    expires_at: datetime
    state: str | None = None
    verifier: str | None = None
    user: SignedIn | None = None
    tokens: Tokens | None = None
    flash: tuple[Flash, ...] = ()

    @property
    def signed_in(self) -> bool:
        return self.user is not None and self.tokens is not None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ConsoleSession:
        user = doc.get("user")
        tokens = doc.get("tokens")
        return cls(
            key=doc["_id"], csrf=doc["csrf"], expires_at=as_utc(doc["expiresAt"]),
            state=doc.get("state"), verifier=doc.get("verifier"),
            user=None if user is None else SignedIn(
                user["userId"], user["email"], user["role"], user["partnerId"],
                frozenset(user["storeIds"]), frozenset(user["scopes"])),
            tokens=None if tokens is None else Tokens(
                tokens["accessToken"], as_utc(tokens["accessExpiresAt"]),
                tokens.get("refreshToken")),
            flash=tuple(Flash(f["text"], f.get("error", False), f.get("secret"),
                              f.get("secretLabel")) for f in doc.get("flash") or ()))


def _user_document(user: SignedIn) -> dict[str, Any]:
    return {"userId": user.user_id, "email": user.email, "role": user.role,
            "partnerId": user.partner_id, "storeIds": sorted(user.store_ids),
            "scopes": sorted(user.scopes)}


def _tokens_document(tokens: Tokens) -> dict[str, Any]:
    return {"accessToken": tokens.access_token, "accessExpiresAt": tokens.access_expires_at,
            "refreshToken": tokens.refresh_token}


class ConsoleSessions:
    """``console_sessions``: every read and write is by ``_id``."""

    def __init__(self, db: AsyncDatabase) -> None:
        self._sessions = db[CONSOLE_SESSIONS]

    async def begin(self, state: str, verifier: str) -> tuple[str, ConsoleSession]:
        """A pending session for a sign-in under way; returns the cookie value and it."""
        cookie = secrets.token_urlsafe(32)
        doc = {"_id": token_hash(cookie), "csrf": secrets.token_urlsafe(24), "state": state,
               "verifier": verifier, "expiresAt": utcnow() + PENDING_LIFETIME}
        await self._sessions.insert_one(doc)
        return cookie, ConsoleSession.from_document(doc)

    async def find(self, cookie: str | None) -> ConsoleSession | None:
        """The live session of ``cookie``; an expired one is deleted and reads as None."""
        if not cookie:
            return None
        doc = await self._sessions.find_one({"_id": token_hash(cookie)})
        if doc is None:
            return None
        session = ConsoleSession.from_document(doc)
        if session.expires_at <= utcnow():
            await self._sessions.delete_one({"_id": session.key})
            return None
        return session

    async def complete(self, session: ConsoleSession, user: SignedIn,
                       tokens: Tokens) -> ConsoleSession:
        """The sign-in succeeded: the verifier is dropped, the tokens kept, a new CSRF token."""
        done = replace(session, state=None, verifier=None, user=user, tokens=tokens,
                       csrf=secrets.token_urlsafe(24),
                       expires_at=utcnow() + SESSION_LIFETIME)
        await self._sessions.replace_one({"_id": session.key}, {
            "_id": session.key, "csrf": done.csrf, "expiresAt": done.expires_at,
            "user": _user_document(user), "tokens": _tokens_document(tokens)})
        return done

    async def store_tokens(self, session: ConsoleSession, tokens: Tokens,
                           user: SignedIn) -> ConsoleSession:
        """Keep refreshed tokens and who they stand for now (the lifetime does not move)."""
        await self._sessions.update_one({"_id": session.key}, {"$set": {
            "tokens": _tokens_document(tokens), "user": _user_document(user)}})
        return replace(session, tokens=tokens, user=user)

    async def add_flash(self, session: ConsoleSession, flash: Flash) -> None:
        await self._sessions.update_one({"_id": session.key},
                                        {"$push": {"flash": flash.document()}})

    async def clear_flash(self, session: ConsoleSession) -> None:
        await self._sessions.update_one({"_id": session.key}, {"$unset": {"flash": ""}})

    async def end(self, session: ConsoleSession) -> None:
        await self._sessions.delete_one({"_id": session.key})
