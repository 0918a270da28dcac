"""Signing in to and out of the console (:mod:`gateway.console.oauth` does the OAuth part).

``/console/signin`` starts a sign-in (or, after an expired session or a sign-out, says so with
a button to start one); ``/console/callback`` finishes it; ``/console/signout`` ends the
session and revokes its refresh token.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from auth.console_client import CONSOLE_CLIENT_ID, ensure_console_client
from auth.metadata import REVOKE_PATH
from gateway.console import oauth
from gateway.console.guard import SIGN_IN_PATH, console_page
from gateway.console.inprocess import call
from gateway.console.layout import esc, message_page, page
from gateway.console.people import person_of
from gateway.console.sessions import COOKIE, COOKIE_PATH, Tokens
from gateway.console.visit import ConsoleSetup, Visit

START_PATH = "/console/signin/start"
_MESSAGES = {"expired": "Your console session has expired or was ended. Sign in again to go on.",
             "signed_out": "You are signed out of the console."}


class _ClientRegistration:
    """Registers the console client once per process, on the first sign-in."""

    def __init__(self, setup: ConsoleSetup) -> None:
        self._setup = setup
        self._done: asyncio.Task[None] | None = None

    async def ensure(self) -> None:
        if self._done is None or (self._done.done() and self._done.exception() is not None):
            setup = self._setup
            self._done = asyncio.ensure_future(ensure_console_client(
                setup.auth.db, setup.auth.issuer, setup.platform_partner_id))
        await asyncio.shield(self._done)


def _failed(message: str) -> Response:
    return message_page("Sign-in failed", message, status=400,
                        link=(START_PATH, "Sign in again"))


def signin_routes(setup: ConsoleSetup) -> list[Route]:
    registration = _ClientRegistration(setup)

    async def signin(request: Request) -> Response:
        reason = next((key for key in _MESSAGES if request.query_params.get(key)), None)
        if reason is None:
            return RedirectResponse(START_PATH, status_code=303)
        body = (f'<h1>Loopgate console</h1><p role="status">{esc(_MESSAGES[reason])}</p>'
                f'<form method="get" action="{START_PATH}"><button type="submit">Sign in'
                f'</button></form>')
        return page("Sign in", body)

    async def start(request: Request) -> Response:
        await registration.ensure()
        verifier, challenge = oauth.pkce_pair()
        state = secrets.token_urlsafe(24)
        cookie, _session = await setup.sessions.begin(state, verifier)
        response = RedirectResponse(oauth.authorize_url(setup.auth.issuer, state, challenge),
                                    status_code=303)
        response.set_cookie(COOKIE, cookie, path=COOKIE_PATH, httponly=True, samesite="lax",
                            secure=setup.secure_cookie)
        return response

    async def callback(request: Request) -> Response:
        params = request.query_params
        session = await setup.sessions.find(request.cookies.get(COOKIE))
        if session is None or session.verifier is None or session.state is None:
            return _failed("This sign-in was not started in this browser, or took too long.")
        if not hmac.compare_digest(session.state.encode(), params.get("state", "").encode()):
            return _failed("This sign-in answer does not belong to the sign-in under way.")
        if "error" in params:
            return _failed(params.get("error_description") or params["error"])
        try:
            token = await oauth.exchange_code(request, setup.auth.issuer,
                                              params.get("code", ""), session.verifier)
        except oauth.TokenRefused as exc:
            return _failed(f"The sign-in code was refused: {exc}.")
        user = await person_of(setup.auth, str(token["access_token"]))
        if user is None:
            return _failed("The account that signed in is not a console account.")
        tokens = Tokens(str(token["access_token"]), oauth.expires_at(token),
                        str(token["refresh_token"]) if token.get("refresh_token") else None)
        await setup.sessions.complete(session, user, tokens)
        return RedirectResponse("/console", status_code=303)

    async def signout(visit: Visit) -> Response:
        await setup.sessions.end(visit.session)
        tokens = visit.session.tokens
        if tokens is not None and tokens.refresh_token:
            await call(visit.request, "POST", REVOKE_PATH,
                       urlencode({"token": tokens.refresh_token,
                                  "token_type_hint": "refresh_token",
                                  "client_id": CONSOLE_CLIENT_ID}).encode(),
                       {"content-type": "application/x-www-form-urlencoded"})
        response = RedirectResponse(SIGN_IN_PATH + "?signed_out=1", status_code=303)
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax",
                               secure=setup.secure_cookie)
        return response

    return [
        Route(SIGN_IN_PATH, signin, methods=["GET"]),
        Route(START_PATH, start, methods=["GET"]),
        Route("/console/callback", callback, methods=["GET"]),
        Route("/console/signout", console_page(setup, signout), methods=["POST"]),
    ]
