"""Signing and checking the two kinds of JWT Loopgate issues, with one set of rules.

Access tokens (RFC 9068, ``typ`` ``at+jwt``) and gateway→subgraph context tokens
(``typ`` ``loopgate-context+jwt``) are both RS256-signed by the key ring. The ``typ`` check
keeps one from being replayed as the other; the ``kid`` must name a key that still verifies.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any, Protocol

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry

from auth.errors import InvalidToken
from auth.keys import ALGORITHM, CLOCK_SKEW, KeyRing

Claims = dict[str, Any]


def sign(keyring: KeyRing, typ: str, claims: Claims) -> str:
    """A compact JWS of ``claims`` with the current signing key."""
    key = keyring.signing_key()
    header = {"alg": ALGORITHM, "typ": typ, "kid": key.kid}
    return jwt.encode(header, claims, key.key, algorithms=[ALGORITHM])


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read before the signature is checked (to find the ``kid``)."""
    try:
        header = extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidToken("the token is not a well-formed JWT") from exc
    if not isinstance(header, dict):
        raise InvalidToken("the token header is not a JSON object")
    return header


class VerificationKeys(Protocol):
    """Where verifiers find public keys: the database (:class:`KeyRing`) or a JWKS URL."""

    async def refresh_for(self, kid: str) -> None: ...

    def verification_key(self, kid: str) -> RSAKey | None: ...


async def verify(keyring: VerificationKeys, token: str, *, typ: str, issuer: str,
                 audience: str, required: tuple[str, ...]) -> Claims:
    """The claims of a token signed by one of our keys, for ``audience``, not expired."""
    header = unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"the token must be signed with {ALGORITHM}")
    if header.get("typ") != typ:
        raise InvalidToken(f"the token type must be {typ}")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise InvalidToken("the token names no signing key")
    await keyring.refresh_for(kid)
    key = keyring.verification_key(kid)
    if key is None:
        raise InvalidToken("the token was signed by an unknown or retired key")
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM]).claims
        _check_issuer(claims, issuer)
        _registry(issuer, audience, required).validate(claims)
    except JoseError as exc:
        raise InvalidToken(_reason(exc)) from exc
    return claims


def _check_issuer(claims: Claims, issuer: str) -> None:
    """A token minted for another issuer (say another port) says so, both issuers named."""
    minted_for = claims.get("iss")
    if isinstance(minted_for, str) and minted_for != issuer:
        raise InvalidToken(f"the token was issued by {minted_for}, but this server only "
                           f"accepts tokens issued by {issuer}")


@lru_cache(maxsize=64)
def _registry(issuer: str, audience: str, required: tuple[str, ...]) -> JWTClaimsRegistry:
    options: dict[str, Any] = {name: {"essential": True} for name in required}
    options["iss"] = {"essential": True, "value": issuer}
    options["aud"] = {"essential": True, "value": audience}
    options["exp"] = {"essential": True}
    return JWTClaimsRegistry(now=lambda: int(time.time()),
                             leeway=int(CLOCK_SKEW.total_seconds()), **options)


def _reason(exc: JoseError) -> str:
    if exc.error == "expired_token":
        return "the token has expired"
    if exc.error == "bad_signature":
        return "the token signature is invalid"
    description = getattr(exc, "description", None) or str(exc)
    return f"the token is invalid: {description}"
