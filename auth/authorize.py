"""The interactive part of the authorization-code flow: sign in, consent, connected apps.

``GET /oauth/authorize`` validates the request with authlib first: a bad client or redirect
URI gets an error page (never a redirect to an unverified URI); other errors go back to the
client's redirect URI. A signed-in member then sees the consent page, unless an earlier
consent already covers the scopes. The consent form posts back to ``/oauth/authorize``.
Failed sign-ins are rate limited per member name and address (:mod:`auth.signins`). A member
signs in with a member name or with their phone number, typed any usual way
(:mod:`auth.login_names`).

The web console (:mod:`auth.console_client`) is the one exception: for its client id the page
signs in a console user by email and password instead (``/oauth/console-login``, rate limited
the same way), asks no consent, and spends that sign-in on the code it issues, so each console
sign-in is asked for the password.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import OAuth2Error
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from auth.callers import remote_address
from auth.console_client import CONSOLE_CLIENT_ID
from auth.login_names import login_name
from auth.members import Session
from auth.metadata import AUTHORIZE_PATH, CONSENTS_PATH, CONSOLE_LOGIN_PATH, LOGIN_PATH
from auth.pages import (
    consent_page,
    consents_page,
    console_login_page,
    error_page,
    login_page,
    too_many_attempts,
    too_many_sign_ins_page,
)
from auth.ratelimit import retry_after
from auth.requests import LoopgateOAuth2Request, MalformedForm, oauth_request, read_form
from auth.responses import to_response
from auth.service import AuthService

SESSION_COOKIE = "loopgate_session"
CONSOLE_SIGNIN_COOKIE = "loopgate_console_signin"
_PAGE_FIELDS = ("csrf", "decision")


def safe_next(value: object) -> str:
    """Only our own pages may be the target after sign-in (no open redirect)."""
    if isinstance(value, str) and value.startswith("/oauth/") and "//" not in value \
            and "\\" not in value:
        return value
    return CONSENTS_PATH


def _params(req: LoopgateOAuth2Request) -> list[tuple[str, str]]:
    return [(k, v) for k, values in req.payload.datalist.items() for v in values]


def _csrf_ok(session: Session, request_form: dict[str, str]) -> bool:
    return hmac.compare_digest(session.csrf.encode(), request_form.get("csrf", "").encode())


async def page_form(request: Request) -> dict[str, str]:
    """A page's posted form, first value of each field; a malformed body reads as empty."""
    try:
        return dict(reversed(await read_form(request)))
    except MalformedForm:
        return {}


def authorization_routes(service: AuthService) -> list[Route]:
    server = service.server
    secure_cookie = service.issuer.startswith("https://")

    async def session_of(request: Request) -> Session | None:
        return await service.members.session(request.cookies.get(SESSION_COOKIE))

    def error_response(req: LoopgateOAuth2Request, error: OAuth2Error) -> Response:
        if error.redirect_uri:
            return to_response(server.handle_error_response(req, error))
        return error_page(error.error, error.get_error_description() or error.error)

    async def authorize(request: Request) -> Response:
        try:
            req = await oauth_request(request, service.issuer, drop=_PAGE_FIELDS)
        except MalformedForm as exc:
            return error_page("invalid_request", str(exc))
        if (unprintable := req.unprintable_parameter()) is not None:
            return error_page("invalid_request", f"'{unprintable}' must be printable ASCII")
        try:
            grant = await service.run(server.get_consent_grant, req)
        except OAuth2Error as error:
            return error_response(req, error)
        if grant.request.client.client_id == CONSOLE_CLIENT_ID:
            return await console_authorize(request, req, grant)
        session = await session_of(request)
        if session is None:
            return login_page(f"{AUTHORIZE_PATH}?{urlencode(_params(req))}")
        client = grant.request.client
        scopes = set(grant.request.scope.split())
        if request.method == "GET":
            if not await service.consents.covers(session.member_id, client.client_id, scopes):
                return consent_page(client.name, scopes, _params(req), session.csrf)
            member: str | None = session.member_id
        else:
            form = await page_form(request)
            if not _csrf_ok(session, form):
                return error_page("invalid_request", "the form expired; start again", 403)
            member = session.member_id if form.get("decision") == "approve" else None
            if member is not None:
                await service.consents.grant(member, client.client_id, scopes)
        answer = await service.run(server.create_authorization_response, req, member, grant)
        return to_response(answer)

    async def console_authorize(request: Request, req: LoopgateOAuth2Request,
                                grant: object) -> Response:
        """First-party console: a signed-in console user gets a code, no consent asked."""
        cookie = request.cookies.get(CONSOLE_SIGNIN_COOKIE)
        user_id = await service.console_users.signed_in(cookie)
        if user_id is None:
            return console_login_page(f"{AUTHORIZE_PATH}?{urlencode(_params(req))}")
        answer = to_response(await service.run(server.create_authorization_response, req,
                                               user_id, grant))
        await service.console_users.end_signin(cookie)
        answer.delete_cookie(CONSOLE_SIGNIN_COOKIE, path="/oauth", httponly=True,
                             samesite="lax", secure=secure_cookie)
        return answer

    async def console_login(request: Request) -> Response:
        form = await page_form(request)
        next_url = safe_next(form.get("next"))
        typed, password = form.get("email", "").strip(), form.get("password", "")
        if not typed or not password:
            return console_login_page(next_url, error="Enter your email and password.")
        name = f"console:{typed.lower()}"
        address = remote_address(request)
        if (wait := await service.throttles.sign_in.admit(name, address)) is not None:
            response = console_login_page(next_url, status=429,
                                          error=too_many_attempts(retry_after(wait)))
            response.headers["Retry-After"] = str(retry_after(wait))
            return response
        user = await service.console_users.authenticate(typed, password)
        if user is None:
            return console_login_page(next_url, error="Wrong email or password.", email=typed)
        await service.throttles.sign_in.succeeded(name, address)
        response = RedirectResponse(next_url, status_code=303)
        response.set_cookie(CONSOLE_SIGNIN_COOKIE,
                            await service.console_users.open_signin(user.id), path="/oauth",
                            httponly=True, samesite="lax", secure=secure_cookie)
        return response

    async def login(request: Request) -> Response:
        form = await page_form(request)
        next_url = safe_next(form.get("next"))
        typed, password = form.get("username", ""), form.get("password", "")
        if not typed or not password:  # nothing to check, so nothing to count
            return login_page(next_url, error="Enter your member name and password.")
        username = login_name(typed)
        address = remote_address(request)
        if (wait := await service.throttles.sign_in.admit(username, address)) is not None:
            return too_many_sign_ins_page(next_url, retry_after(wait))
        member_id = await service.members.authenticate(username, password)
        if member_id is None:
            return login_page(next_url, error="Wrong member name or password.",
                              username=typed)
        await service.throttles.sign_in.succeeded(username, address)
        response = RedirectResponse(next_url, status_code=303)
        response.set_cookie(SESSION_COOKIE, await service.members.open_session(member_id),
                            path="/oauth", httponly=True, samesite="lax", secure=secure_cookie)
        return response

    async def consents(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return login_page(CONSENTS_PATH)
        apps = []
        for consent in await service.consents.for_member(session.member_id):
            client = await service.clients.get(consent.client_id)
            apps.append((consent.client_id, client.name if client else consent.client_id,
                         consent.scopes))
        return consents_page(apps, session.csrf)

    async def revoke_consent(request: Request) -> Response:
        session = await session_of(request)
        if session is None:
            return login_page(CONSENTS_PATH)
        form = await page_form(request)
        if not _csrf_ok(session, form):
            return error_page("invalid_request", "the form expired; start again", 403)
        await service.consents.revoke(session.member_id, form.get("client_id", ""))
        return RedirectResponse(CONSENTS_PATH, status_code=303)

    return [
        Route(AUTHORIZE_PATH, authorize, methods=["GET", "POST"]),
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route(CONSOLE_LOGIN_PATH, console_login, methods=["POST"]),
        Route(CONSENTS_PATH, consents, methods=["GET"]),
        Route(f"{CONSENTS_PATH}/revoke", revoke_consent, methods=["POST"]),
    ]
