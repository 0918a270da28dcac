"""The console's side of its OAuth flow: authorization code with PKCE (S256), as a public
client, against this app's own endpoints (:mod:`auth.console_client`).

Sign-in starts a pending session holding ``state`` and the PKCE verifier, and sends the browser
to ``/oauth/authorize``; the callback checks ``state``, exchanges the code (with the verifier)
at ``/oauth/token`` in process (:mod:`gateway.console.inprocess`), and keeps the tokens in the
session. A token about to expire is refreshed the same way; a refused refresh (the account was
removed, the grant revoked) ends the session.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request

from auth.console_client import CONSOLE_CLIENT_ID, callback_uri
from auth.metadata import AUTHORIZE_PATH, TOKEN_PATH
from gateway.console.inprocess import call
from schema.kernel.time import utcnow

REFRESH_BEFORE = timedelta(seconds=60)
"""A token with less than this left is refreshed before it is used."""


class TokenRefused(Exception):
    """The token endpoint refused the code or the refresh token; the message says why."""


def pkce_pair() -> tuple[str, str]:
    """A fresh code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(issuer: str, state: str, challenge: str) -> str:
    """Where the browser goes to sign in (a path on this app)."""
    return AUTHORIZE_PATH + "?" + urlencode({
        "response_type": "code", "client_id": CONSOLE_CLIENT_ID,
        "redirect_uri": callback_uri(issuer), "state": state,
        "code_challenge": challenge, "code_challenge_method": "S256"})


async def _token_request(request: Request, form: dict[str, str]) -> dict[str, object]:
    answer = await call(request, "POST", TOKEN_PATH,
                        urlencode({**form, "client_id": CONSOLE_CLIENT_ID}).encode(),
                        {"content-type": "application/x-www-form-urlencoded",
                         "accept": "application/json"})
    body = answer.json() if answer.body else {}
    if answer.status != 200 or not isinstance(body, dict) or "access_token" not in body:
        reason = body.get("error_description") or body.get("error") if isinstance(body, dict) \
            else None
        raise TokenRefused(str(reason or f"token endpoint answered {answer.status}"))
    return body


async def exchange_code(request: Request, issuer: str, code: str,
                        verifier: str) -> dict[str, object]:
    return await _token_request(request, {
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": callback_uri(issuer), "code_verifier": verifier})


async def refresh(request: Request, refresh_token: str) -> dict[str, object]:
    return await _token_request(request, {"grant_type": "refresh_token",
                                          "refresh_token": refresh_token})


def expires_at(token: dict[str, object]) -> datetime:
    """When an access token of the token endpoint's answer expires."""
    return utcnow() + timedelta(seconds=int(str(token.get("expires_in", 0))))
