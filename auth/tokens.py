"""JWT access tokens (RFC 9068) and the Principal they stand for.

``sub`` is the member for a delegated (authorization-code) token and the client itself for a
client-credentials token, as RFC 9068 §2.2 says (a console user, ``usr_…``, for the console's
tokens: :mod:`auth.console_client`); ``partner_id`` is always the app's owner.
``store_ids`` (a sorted list, present only for a store-bound app) names the stores the app is
bound to, whichever grant issued the token; ``courier_id`` (present only for a courier-bound
app) the courier its tokens act as.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from ulid import ULID

from auth.errors import InvalidToken
from auth.keys import MAX_TOKEN_LIFETIME, KeyRing
from auth.signing import Claims, sign
from schema.kernel.principal import Principal, is_courier_id

AUDIENCE = "loopgate"
ACCESS_TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iat", "jti", "client_id", "sub")
STORE_IDS_CLAIM = "store_ids"
COURIER_ID_CLAIM = "courier_id"


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    token: str
    jti: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class AccessTokenIssuer:
    """Mints access tokens for ``issuer`` with the key ring's current key."""

    keyring: KeyRing
    issuer: str
    lifetime: timedelta = MAX_TOKEN_LIFETIME

    def __post_init__(self) -> None:
        if not timedelta(0) < self.lifetime <= MAX_TOKEN_LIFETIME:
            raise ValueError(f"access tokens live at most {MAX_TOKEN_LIFETIME}")

    def issue(self, *, client_id: str, partner_id: str, scope: str, member_id: str | None,
              sandbox: bool = False, store_ids: Iterable[str] = (),
              courier_id: str | None = None, subject: str | None = None,
              ) -> IssuedAccessToken:
        """``subject`` names a signed-in person who is not a member (a console user, whose
        token has no member); by default ``sub`` is the member, else the client."""
        now = int(time.time())
        expires_in = int(self.lifetime.total_seconds())
        jti = str(ULID())
        claims: Claims = {
            "iss": self.issuer, "aud": AUDIENCE, "iat": now, "nbf": now,
            "exp": now + expires_in, "jti": jti, "client_id": client_id,
            "sub": member_id or subject or client_id, "scope": scope, "partner_id": partner_id,
        }
        if sandbox:
            claims["sandbox"] = True
        if stores := sorted(store_ids):
            claims[STORE_IDS_CLAIM] = stores
        if courier_id is not None:
            claims[COURIER_ID_CLAIM] = courier_id
        return IssuedAccessToken(sign(self.keyring, ACCESS_TOKEN_TYPE, claims), jti, expires_in)


def principal_from_claims(claims: Claims) -> Principal:
    """The caller a verified access (or context) token stands for."""
    sub = claims.get("sub")
    member_id = sub if isinstance(sub, str) and sub.startswith("mem_") else None
    scope = claims.get("scope") or ""
    partner_id = claims.get("partner_id")
    return Principal(
        client_id=str(claims["client_id"]),
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
        partner_id=partner_id if isinstance(partner_id, str) else None,
        member_id=member_id,
        sandbox=claims.get("sandbox") is True,
        store_ids=_store_ids(claims.get(STORE_IDS_CLAIM)),
        courier_id=_courier_id(claims.get(COURIER_ID_CLAIM)),
    )


def _store_ids(value: object) -> frozenset[str]:
    """The bound stores of a verified token; a malformed claim is refused, never read as
    "unbound", which would widen what the token may do."""
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidToken(f"the {STORE_IDS_CLAIM} claim must be a list of store ids")
    return frozenset(value)


def _courier_id(value: object) -> str | None:
    """The bound courier of a verified token; a malformed claim is refused, never read as
    "not a courier"."""
    if value is None:
        return None
    if not is_courier_id(value):
        raise InvalidToken(f"the {COURIER_ID_CLAIM} claim must be a courier id")
    return str(value)
