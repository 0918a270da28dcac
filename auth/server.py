"""The authorization server: authlib's core wired to Loopgate's stores and token issuer.

authlib is synchronous, so every call into :class:`LoopgateAuthorizationServer` runs in a
worker thread (:meth:`AuthService.run <auth.service.AuthService.run>`); its storage hooks
reach the async stores through :func:`auth.bridge.call`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    InvalidClientError,
    InvalidGrantError,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from joserfc.jws import extract_compact

from auth.bridge import call
from auth.clients import ClientRegistry, OAuthClient
from auth.codes import CodeStore
from auth.console_client import CONSOLE_CLIENT_ID
from auth.console_users import ConsoleUsers, role_scopes
from auth.endpoints import Introspection, Revocation
from auth.grants import (
    AuthorizationCodeWithPkce,
    ClientCredentials,
    RotatingRefreshToken,
    S256CodeChallenge,
)
from auth.hashing import new_secret
from auth.refresh import RefreshTokens
from auth.revocation import RevocationList
from auth.scopes import SCOPES, scope_string
from auth.tokens import AccessTokenIssuer
from auth.verify import TokenVerifier

CLIENT_AUTH_FAILED = "client authentication failed: the client id or the secret is wrong"
CLIENT_AUTH_MISSING = ("client authentication required: send the client id and secret with "
                       "HTTP Basic, or as client_id and client_secret form fields")


@dataclass(frozen=True, slots=True)
class OAuthResponse:
    """What authlib answered, before it becomes a Starlette response on the event loop."""

    status: int
    body: Any
    headers: list[tuple[str, str]]


class LoopgateAuthorizationServer(AuthorizationServer):
    """authlib's ``AuthorizationServer`` with the grants and endpoints of DESIGN.md §6."""

    def __init__(self, *, clients: ClientRegistry, codes: CodeStore,
                 refresh_tokens: RefreshTokens, revocations: RevocationList,
                 issuer: AccessTokenIssuer, verifier: TokenVerifier,
                 console_users: ConsoleUsers) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.clients = clients
        self.console_users = console_users
        self.codes = codes
        self.refresh_tokens = refresh_tokens
        self.revocations = revocations
        self.issuer = issuer
        self.verifier = verifier
        self.register_token_generator("default", self._generate_token)
        self.register_grant(ClientCredentials)
        self.register_grant(AuthorizationCodeWithPkce, [S256CodeChallenge(required=True)])
        self.register_grant(RotatingRefreshToken)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def query_client(self, client_id: str) -> OAuthClient | None:
        return call(self.clients.get, client_id)

    def authenticate_client(self, request: OAuth2Request, methods: list[str],
                            endpoint: str = "token") -> OAuthClient:
        """authlib's client authentication, with one answer for every failure.

        authlib tells an unknown client id ("does not exist", 400 in a form) from a wrong
        secret ("cannot authenticate", 401), which lets anyone probe for registered ids; here
        both are the same 401 ``invalid_client`` with the same words.
        """
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as exc:
            presented = (extract_basic_authorization(request.headers)[0]
                         or request.payload.client_id)
            raise InvalidClientError(
                status_code=401,
                description=CLIENT_AUTH_FAILED if presented else CLIENT_AUTH_MISSING) from exc

    def _generate_token(self, grant_type: str, client: OAuthClient, user: str | None = None,
                        scope: str | None = None, expires_in: int | None = None,
                        include_refresh_token: bool = True) -> dict[str, Any]:
        if client.client_id == CONSOLE_CLIENT_ID:
            return self._console_token(user, include_refresh_token)
        granted = scope_string((scope or client.get_allowed_scope(None) or "").split())
        issued = self.issuer.issue(client_id=client.client_id, partner_id=client.partner_id,
                                   scope=granted, member_id=user, sandbox=client.sandbox,
                                   store_ids=client.store_ids, courier_id=client.courier_id)
        token = {"token_type": "Bearer", "access_token": issued.token,
                 "expires_in": issued.expires_in, "scope": granted}
        if include_refresh_token and user is not None:
            token["refresh_token"] = new_secret("lgr")
        return token

    def _console_token(self, user: str | None, include_refresh_token: bool) -> dict[str, Any]:
        """A console token acts for the user's partner with the role's scopes, as the account
        stands now (:mod:`auth.console_client`); a removed account gets nothing."""
        account = call(self.console_users.get, user) if user else None
        if account is None:
            raise InvalidGrantError("the console account no longer exists")
        grantable = call(self.clients.grantable_scopes, account.partner_id)
        scope = scope_string(role_scopes(account.role, grantable))
        issued = self.issuer.issue(client_id=CONSOLE_CLIENT_ID, partner_id=account.partner_id,
                                   scope=scope, member_id=None, subject=account.id,
                                   store_ids=account.store_ids)
        token = {"token_type": "Bearer", "access_token": issued.token,
                 "expires_in": issued.expires_in, "scope": scope}
        if include_refresh_token:
            token["refresh_token"] = new_secret("lgr")
        return token

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Tie a delegated token to its family; store the refresh token (hashed)."""
        if request.authorization_code is not None:
            family_id, scope = (request.authorization_code.family_id,
                                request.authorization_code.scope)
        elif request.refresh_token is not None:
            family_id, scope = request.refresh_token.family_id, request.refresh_token.scope
        else:
            return
        client = request.client
        jti = json.loads(extract_compact(token["access_token"].encode()).payload)["jti"]
        call(self.refresh_tokens.record_issue, family_id, jti=jti,
             refresh_token=token.get("refresh_token"), client_id=client.client_id,
             member_id=request.user, partner_id=client.partner_id, scope=scope)

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def create_json_request(self, request: object) -> object:
        raise NotImplementedError("Loopgate's OAuth endpoints take form-encoded requests")

    def handle_response(self, status: int, body: Any, headers: Any) -> OAuthResponse:
        return OAuthResponse(status, body, list(headers or ()))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal subscribers: auditing happens in the stores."""
