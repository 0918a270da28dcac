"""The three grants, as authlib subclasses over Loopgate's stores (DESIGN.md §6).

Each store method is async; authlib's hooks run in a worker thread and reach them through
:func:`auth.bridge.call`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.grants import (
    AuthorizationCodeGrant,
    BaseGrant,
    ClientCredentialsGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge

from auth.bridge import call
from auth.codes import AuthorizationCode
from auth.refresh import RefreshToken

if TYPE_CHECKING:
    from auth.server import LoopgateAuthorizationServer

CONFIDENTIAL = ["client_secret_basic", "client_secret_post"]


def _stores(grant: BaseGrant) -> LoopgateAuthorizationServer:
    server: LoopgateAuthorizationServer = grant.server
    return server


class ClientCredentials(ClientCredentialsGrant):
    """Partner apps and ERP connectors acting as themselves."""

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL

    def validate_requested_scope(self) -> None:
        """Unknown scopes and scopes the client was not registered for are ``invalid_scope``."""
        super().validate_requested_scope()
        if self.request.client.get_allowed_scope(self.request.payload.scope) is None:
            raise InvalidScopeError("the client is not registered for the requested scope")


class S256CodeChallenge(CodeChallenge):
    """PKCE required on every authorization request, S256 only (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and "
                                      "code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256; plain is refused")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeWithPkce(AuthorizationCodeGrant):
    """Members delegating to a partner app; confidential or public (PKCE-only) clients."""

    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL, "none"]

    def save_authorization_code(self, code: str, request: object) -> None:
        req = self.request
        call(_stores(self).codes.save, code, client_id=req.client.client_id,
             member_id=req.user, partner_id=req.client.partner_id,
             redirect_uri=req.payload.redirect_uri, scope=req.scope,
             challenge=req.payload.data["code_challenge"],
             method=req.payload.data["code_challenge_method"])

    def query_authorization_code(self, code: str, client: object) -> AuthorizationCode | None:
        """Consume the code; a replayed code revokes what was issued from it."""
        redemption = call(_stores(self).codes.redeem, code, client.get_client_id())
        if redemption.replayed_family is not None:
            call(_stores(self).refresh_tokens.revoke_family, redemption.replayed_family)
        return redemption.code

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: :meth:`query_authorization_code` consumed the code (claim-arbitrated)."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.member_id


class RotatingRefreshToken(RefreshTokenGrant):
    """Each refresh consumes the token and issues a new one; reuse revokes the family."""

    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL, "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        stores = _stores(self)
        record = call(stores.refresh_tokens.find, refresh_token)
        if record is None or record.revoked or record.is_expired():
            return None
        if record.used:
            call(stores.refresh_tokens.revoke_family, record.family_id)
            return None
        return record

    def authenticate_user(self, refresh_token: RefreshToken) -> str:
        return refresh_token.member_id

    def validate_token_request(self) -> None:
        """Consume the presented token once it is valid for this client and scope, before
        anything is issued; losing the race to another refresh counts as reuse."""
        super().validate_token_request()
        stores = _stores(self)
        refresh_token: RefreshToken = self.request.refresh_token
        if not call(stores.refresh_tokens.consume, refresh_token):
            call(stores.refresh_tokens.revoke_family, refresh_token.family_id)
            raise InvalidGrantError("the refresh token was already used")

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        """Nothing to do: :meth:`validate_token_request` consumed the token."""
