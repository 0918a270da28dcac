"""Who may open a console page: signed in, the right role, the form's CSRF token, the store.

:func:`console_page` wraps a handler taking a :class:`~gateway.console.visit.Visit`:

- no session, or an expired one, or one whose account was removed → 303 to
  ``/console/signin`` (``?expired=1`` when the browser still had a session cookie, so the page
  can say the session ended); an account whose role or stores changed gets a fresh token
  first (:meth:`~gateway.console.visit.Visit.check_account`);
- a POST without the session's CSRF token → 403 (:mod:`gateway.console.csrf`);
- a role not among ``roles`` → 403 saying who may;
- with ``store_param``, a store the person may not act at (staff of other stores) → 403 naming
  it, before the handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gateway.console import csrf
from gateway.console.layout import forbidden_page
from gateway.console.sessions import COOKIE
from gateway.console.visit import ConsoleSetup, SessionExpired, Visit

Handler = Callable[[Visit], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
EVERYONE = frozenset({"admin", "developer", "staff"})
SIGN_IN_PATH = "/console/signin"
_ROLE_NAMES = {"admin": "admins", "developer": "developers", "staff": "store staff"}


def to_sign_in(*, expired: bool) -> Response:
    return RedirectResponse(SIGN_IN_PATH + ("?expired=1" if expired else ""), status_code=303)


def _who(roles: Iterable[str]) -> str:
    return " and ".join(_ROLE_NAMES[role] for role in sorted(roles))


def console_page(setup: ConsoleSetup, handler: Handler, *, roles: Iterable[str] = EVERYONE,
                 store_param: str | None = None) -> Endpoint:
    allowed = frozenset(roles)

    async def endpoint(request: Request) -> Response:
        cookie = request.cookies.get(COOKIE)
        session = await setup.sessions.find(cookie)
        if session is None or not session.signed_in:
            return to_sign_in(expired=bool(cookie))
        if request.method == "POST" and not await csrf.request_ok(request, session):
            return csrf.refused(session)
        visit = Visit(request, setup, session)
        try:
            await visit.check_account()
            await visit.access_token()
        except SessionExpired:
            return to_sign_in(expired=True)
        if visit.user.role not in allowed:
            return forbidden_page(f"This page is for {_who(allowed)}; you are signed in as "
                                  f"{_ROLE_NAMES[visit.user.role]}.", session)
        if store_param is not None:
            store_id = request.path_params[store_param]
            if not visit.may_act_at(store_id):
                return forbidden_page(f"Store {store_id} is not one of your stores: your "
                                      "account works only at the stores your admin assigned "
                                      "to you.", session)
        try:
            return await handler(visit)
        except SessionExpired:
            return to_sign_in(expired=True)

    return endpoint
