"""CSRF protection of every console form and of the console's GraphQL proxy.

Each session has its own random token (:attr:`ConsoleSession.csrf`, new at sign-in); every form
carries it in a hidden ``csrf`` field (:func:`gateway.console.layout.csrf_field`) and script
calls send it as ``X-CSRF-Token``. A POST without the session's token is refused with a 403 page
before its handler runs, whatever it asked. SameSite=Lax on the cookie already keeps other
sites' POSTs from carrying the session; the token also covers same-site pages and old browsers.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from auth.requests import MalformedForm, read_form
from gateway.console.layout import message_page
from gateway.console.sessions import ConsoleSession

HEADER = "x-csrf-token"
FIELD = "csrf"


async def posted_form(request: Request) -> list[tuple[str, str]]:
    """The url-encoded form of a POST as pairs; a malformed body reads as empty."""
    try:
        return await read_form(request)
    except MalformedForm:
        return []


def token_ok(session: ConsoleSession, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf.encode(),
                                                   str(presented).encode())


async def request_ok(request: Request, session: ConsoleSession) -> bool:
    """Whether a POST carries the session's token, in the header or the form."""
    if (header := request.headers.get(HEADER)) is not None:
        return token_ok(session, header)
    presented = next((v for k, v in await posted_form(request) if k == FIELD), None)
    return token_ok(session, presented)


def refused(session: ConsoleSession | None) -> Response:
    return message_page(
        "Form refused", "This form was not sent from your current console session (it may be "
        "from an old page, another site or another session), so nothing was changed. Reload "
        "the page and try again.", session=session, status=403,
        link=("/console", "Back to the console"))
