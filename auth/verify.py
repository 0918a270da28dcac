"""Bearer-token verification for the gateway: ``Authorization`` header → :class:`Principal`.

Checks, in order: the header's form, the JWT's ``alg``/``typ``/``kid``, the signature against
the verification keys, ``iss``, ``aud``, ``exp``, ``iat`` and ``nbf``, then revocation by ``jti``
when there is a revocation list, and whether the token's app (client) was revoked when there is
a :class:`~auth.clients.RevokedApps` (a per-process cache: a revoked app's tokens stop working
within ``auth.clients.REVOKED_APPS_MAX_AGE_S``, 5 s). Times allow ``auth.keys.CLOCK_SKEW``
(60 s) of clock difference between issuer and verifier: a token is accepted until 60 s after
its ``exp``, and an ``iat``/``nbf`` up to 60 s ahead of the verifier's clock is not refused.
Every refusal is an :class:`~auth.errors.AuthError` (``UNAUTHENTICATED``).

The keys are the database's key ring (``loopgate serve``) or the issuer's JWKS fetched over
HTTP (:class:`auth.jwks.RemoteJwks`, the standalone ``loopgate gateway --jwks``). A verifier
far from the database has no revocation list: there a revoked token stays valid until it
expires, which is at most ``auth.keys.MAX_TOKEN_LIFETIME`` (15 minutes) after it was issued.
"""

from __future__ import annotations

from dataclasses import dataclass

from auth.clients import RevokedApps
from auth.errors import InvalidToken, MissingToken
from auth.revocation import RevocationList
from auth.signing import Claims, VerificationKeys, verify
from auth.tokens import ACCESS_TOKEN_TYPE, AUDIENCE, REQUIRED_CLAIMS, principal_from_claims
from schema.kernel.principal import Principal


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; None when there is no header."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("the Authorization header must be 'Bearer <token>'")
    return token.strip()


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    """Verifies Loopgate access tokens; one per process, shared by every request.

    ``revocations`` is None where the revocation collection cannot be read (a gateway that
    only has the issuer's JWKS): revocation is then not checked, see the module docstring.
    ``revoked_apps`` likewise: None where the clients cannot be read.
    """

    keyring: VerificationKeys
    revocations: RevocationList | None
    issuer: str
    audience: str = AUDIENCE
    revoked_apps: RevokedApps | None = None

    async def claims(self, token: str) -> Claims:
        """The verified claims of ``token`` (signature, iss, aud, exp, typ, not revoked)."""
        claims = await verify(self.keyring, token, typ=ACCESS_TOKEN_TYPE, issuer=self.issuer,
                              audience=self.audience, required=REQUIRED_CLAIMS)
        if self.revocations is not None and \
                await self.revocations.is_revoked(str(claims["jti"])):
            raise InvalidToken("the token has been revoked")
        if self.revoked_apps is not None and \
                await self.revoked_apps.is_revoked(str(claims["client_id"])):
            raise InvalidToken("the token's app has been revoked")
        return claims

    async def verify(self, token: str) -> Principal:
        return principal_from_claims(await self.claims(token))

    async def authenticate(self, authorization: str | None) -> Principal | None:
        """The caller of a request: None when anonymous, AuthError when the token is bad."""
        token = bearer_token(authorization)
        return None if token is None else await self.verify(token)

    async def require(self, authorization: str | None) -> Principal:
        """Like :meth:`authenticate`, but a missing token is refused too."""
        principal = await self.authenticate(authorization)
        if principal is None:
            raise MissingToken("an access token is required (Authorization: Bearer <token>)")
        return principal
