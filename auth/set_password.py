"""``/oauth/set-password``: a member turns a one-time sign-in code into a password.

``registerMember`` gives a new member a code (:mod:`schema.kernel.signin_codes`; the server
log or ``loopgate members login-code PHONE``). Here the member enters their phone, the code
and a new password; a right, unexpired, unspent code sets the login ``<phone in E.164>`` /
password for that member (:meth:`auth.members.MemberLogins.set_login`) and spends the code,
and the member is sent on to sign in with them.

The form has no session to bind a CSRF token to, so it uses a double-submit token: the GET
sets a random value in a ``SameSite=Strict`` cookie scoped to this path and in a hidden field,
and a POST is taken only when both are present and equal, which a page on another site can
neither read nor make a browser send. Attempts count against the same per-phone and
per-address allowance as sign-in (:mod:`auth.signins`): a wrong code is a failed sign-in.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from auth.authorize import page_form, safe_next
from auth.callers import remote_address
from auth.metadata import SET_PASSWORD_PATH
from auth.pages import error_page, login_page, set_password_page, too_many_attempts
from auth.ratelimit import retry_after
from auth.service import AuthService
from schema.kernel.phones import InvalidPhone, normalise_phone
from schema.kernel.signin_codes import consume_signin_code

FORM_COOKIE = "loopgate_form"
MIN_PASSWORD = 8
MAX_PASSWORD = 256   # scrypt hashes any length; a bound keeps one request's work bounded


def _problem(phone: str, code: str, password: str) -> str | None:
    """What is wrong with the form before any code is checked (not counted as an attempt)."""
    if not phone or not code or not password:
        return "Enter your phone number, the sign-in code and a new password."
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"Choose a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    return None


def set_password_routes(service: AuthService) -> list[Route]:
    secure_cookie = service.issuer.startswith("https://")

    def page(next_url: str, error: str | None = None, status: int | None = None,
             phone: str = "") -> Response:
        """The form with a fresh double-submit token (a new one after every answer)."""
        csrf = secrets.token_urlsafe(24)
        response = set_password_page(next_url, csrf, error, status, phone)
        response.set_cookie(FORM_COOKIE, csrf, path=SET_PASSWORD_PATH, httponly=True,
                            samesite="strict", secure=secure_cookie)
        return response

    async def show(request: Request) -> Response:
        return page(safe_next(request.query_params.get("next")))

    async def submit(request: Request) -> Response:
        form = await page_form(request)
        next_url = safe_next(form.get("next"))
        cookie = request.cookies.get(FORM_COOKIE, "")
        if not cookie or not hmac.compare_digest(cookie.encode(),
                                                 form.get("csrf", "").encode()):
            return error_page("invalid_request", "the form expired; start again", 403)
        typed, code = form.get("phone", "").strip(), form.get("code", "").strip()
        password = form.get("password", "")
        if (problem := _problem(typed, code, password)) is not None:
            return page(next_url, problem, phone=typed)
        try:
            phone = normalise_phone(typed)
        except InvalidPhone:
            return page(next_url, "Enter the phone number you registered with, e.g. "
                        "+86 138 1234 5678.", phone=typed)
        address = remote_address(request)
        if (wait := await service.throttles.sign_in.admit(phone, address)) is not None:
            response = page(next_url, too_many_attempts(retry_after(wait)), 429, typed)
            response.headers["Retry-After"] = str(retry_after(wait))
            return response
        member_id = await consume_signin_code(service.db, phone, code)
        if member_id is None:
            return page(next_url, "The sign-in code is wrong, has expired or was already "
                        "used. Ask for a new code.", 401, typed)
        await service.throttles.sign_in.succeeded(phone, address)
        await service.members.set_login(phone, password, member_id)
        return login_page(next_url, username=phone, notice=f"Your password is set. Sign in "
                          f"with your phone number {phone} and your new password.")

    return [Route(SET_PASSWORD_PATH, show, methods=["GET"]),
            Route(SET_PASSWORD_PATH, submit, methods=["POST"])]
