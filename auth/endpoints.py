"""Revocation (RFC 7009) and introspection (RFC 7662) over both kinds of token.

A token string with two dots is taken as a JWT access token, anything else as a refresh
token; ``token_type_hint`` is only a hint (RFC 7009 §2.1), so both are tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import UnauthorizedClientError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from auth.bridge import call
from auth.errors import AuthError
from auth.refresh import RefreshToken
from auth.signing import Claims
from schema.kernel.time import utcnow

if TYPE_CHECKING:
    from auth.server import LoopgateAuthorizationServer

CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A verified, unrevoked access token, shaped as authlib's ``TokenMixin`` wants it."""

    claims: Claims

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(int(self.claims["exp"]), UTC)

    def check_client(self, client: Any) -> bool:
        return client.get_client_id() == self.claims["client_id"]

    def get_scope(self) -> str:
        return str(self.claims.get("scope", ""))

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return False


Token = AccessToken | RefreshToken


def _find(server: LoopgateAuthorizationServer, token: str) -> Token | None:
    if token.count(".") == 2:
        try:
            return AccessToken(call(server.verifier.claims, token))
        except AuthError:
            return None
    return call(server.refresh_tokens.find, token)


class Revocation(RevocationEndpoint):
    """Revoking an access token lists its ``jti``; a refresh token revokes its whole grant."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _find(self.server, token_string)

    def revoke_token(self, token: Token, request: object) -> None:
        if isinstance(token, AccessToken):
            call(self.server.revocations.revoke, [str(token.claims["jti"])], token.expires_at)
        else:
            call(self.server.refresh_tokens.revoke_token, token)


class Introspection(IntrospectionEndpoint):
    """Only clients registered as resource servers may introspect (RFC 7662 §4)."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def authenticate_endpoint_client(self, request: Any) -> Any:
        client = super().authenticate_endpoint_client(request)
        if not client.resource_server:
            raise UnauthorizedClientError("this client is not a resource server and may not "
                                          "introspect tokens")
        return client

    def check_permission(self, token: Token, client: Any, request: Any) -> bool:
        return True

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _find(self.server, token_string)

    def introspect_token(self, token: Token) -> dict[str, Any]:
        if isinstance(token, AccessToken):
            keys = ("scope", "client_id", "sub", "aud", "iss", "exp", "iat", "nbf", "jti",
                    "partner_id", "store_ids", "courier_id")
            return {"active": True, "token_type": "Bearer",
                    **{key: token.claims[key] for key in keys if key in token.claims}}
        return {"active": True, "token_type": "refresh_token", "scope": token.scope,
                "client_id": token.client_id, "sub": token.member_id,
                "partner_id": token.partner_id, "exp": int(token.expires_at.timestamp())}
