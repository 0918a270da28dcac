"""The gateway→subgraph context token (``Loopgate-Context`` header, DESIGN.md §2).

Subgraphs never see the client's bearer token. Over HTTP the gateway sends the verified
principal as a short-lived JWT it signs itself, with ``aud`` = the subgraph's name, so a token
captured on the way to one subgraph is useless at another and expires within a minute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from ulid import ULID

from auth.errors import MissingToken
from auth.keys import KeyRing
from auth.signing import Claims, VerificationKeys, sign, verify
from auth.tokens import COURIER_ID_CLAIM, STORE_IDS_CLAIM, principal_from_claims
from schema.kernel.principal import Principal

CONTEXT_HEADER = "Loopgate-Context"
CONTEXT_TOKEN_TYPE = "loopgate-context+jwt"
CONTEXT_LIFETIME = timedelta(seconds=60)
ANONYMOUS_CLIENT = "anonymous"


@dataclass(frozen=True)
class ContextTokenSigner:
    """Signs principals for subgraphs (the gateway side).

    An RS256 signature costs about a millisecond, too much per subgraph call, so a token is
    reused for the same principal and subgraph during the first half of its lifetime.
    """

    keyring: KeyRing
    issuer: str
    lifetime: timedelta = CONTEXT_LIFETIME
    cache_size: int = 4096
    _cache: dict[tuple[Principal | None, str], tuple[str, float]] = field(
        default_factory=dict, repr=False, compare=False)

    def sign(self, principal: Principal | None, subgraph: str) -> str:
        """A context token for ``subgraph``; ``None`` (anonymous) is signed too, as such."""
        key = (principal, subgraph)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        token = self._sign(principal, subgraph)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[key] = (token, time.monotonic() + self.lifetime.total_seconds() / 2)
        return token

    def _sign(self, principal: Principal | None, subgraph: str) -> str:
        now = int(time.time())
        claims: Claims = {"iss": self.issuer, "aud": subgraph, "iat": now,
                          "exp": now + int(self.lifetime.total_seconds()), "jti": str(ULID())}
        if principal is None:
            claims.update(client_id=ANONYMOUS_CLIENT, sub=ANONYMOUS_CLIENT, anonymous=True)
        else:
            claims.update(client_id=principal.client_id,
                          sub=principal.member_id or principal.client_id,
                          scope=principal.scope_string(), partner_id=principal.partner_id)
            if principal.sandbox:
                claims["sandbox"] = True
            if principal.store_ids:
                claims[STORE_IDS_CLAIM] = sorted(principal.store_ids)
            if principal.courier_id is not None:
                claims[COURIER_ID_CLAIM] = principal.courier_id
        return sign(self.keyring, CONTEXT_TOKEN_TYPE, claims)

    def headers(self, principal: Principal | None, subgraph: str) -> dict[str, str]:
        return {CONTEXT_HEADER: self.sign(principal, subgraph)}


@dataclass(frozen=True, slots=True)
class ContextTokenVerifier:
    """Checks context tokens (the subgraph side); ``audience`` is this subgraph's name."""

    keyring: VerificationKeys
    issuer: str
    audience: str

    async def verify(self, token: str | None) -> Principal | None:
        """The principal the gateway vouches for; None for an anonymous caller."""
        if not token:
            raise MissingToken(f"calls to this subgraph need a {CONTEXT_HEADER} header "
                               "from the gateway")
        claims = await verify(self.keyring, token, typ=CONTEXT_TOKEN_TYPE, issuer=self.issuer,
                              audience=self.audience, required=("iat", "jti", "client_id"))
        if claims.get("anonymous") is True:
            return None
        return principal_from_claims(claims)
