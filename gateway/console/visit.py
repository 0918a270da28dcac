"""What a console page handler gets: the request, the signed-in session, and GraphQL as that
person (:class:`Visit`).

:meth:`Visit.graphql` posts to this app's ``/graphql`` in process with the session's access
token, refreshing it first when it is about to expire; when the refresh is refused the session
is over (:class:`SessionExpired`, which the guard turns into a redirect to sign-in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from auth.service import AuthService
from gateway.console import oauth
from gateway.console.csrf import posted_form
from gateway.console.inprocess import post_json
from gateway.console.layout import flash_html
from gateway.console.people import person_of
from gateway.console.sessions import ConsoleSession, ConsoleSessions, Flash, SignedIn, Tokens
from gateway.federation import Supergraph
from schema.kernel.time import utcnow


class SessionExpired(Exception):
    """The session can no longer act (expired, or its refresh was refused)."""


@dataclass(frozen=True, slots=True)
class ConsoleSetup:
    """What every handler shares: the auth service, the sessions, the platform partner that
    owns the console client, and the live supergraph as it is now (it follows hot reloads)."""

    auth: AuthService
    sessions: ConsoleSessions
    platform_partner_id: str
    supergraph: Callable[[], Supergraph]

    @property
    def secure_cookie(self) -> bool:
        return self.auth.issuer.startswith("https://")


@dataclass(slots=True)
class Visit:
    """One request of a signed-in person."""

    request: Request
    setup: ConsoleSetup
    session: ConsoleSession
    _fresh: bool = field(default=False, repr=False)

    @property
    def user(self) -> SignedIn:
        assert self.session.user is not None
        return self.session.user

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def may_act_at(self, store_id: str) -> bool:
        """Staff act at their stores only; admins and developers are not store-bound."""
        return not self.user.store_ids or store_id in self.user.store_ids

    async def flash(self, text: str, *, error: bool = False, secret: str | None = None,
                    secret_label: str | None = None, to: str | None = None) -> Response:
        """Keep a message for the next page and redirect there (303; default: this path)."""
        await self.setup.sessions.add_flash(self.session, Flash(text, error, secret,
                                                                secret_label))
        return RedirectResponse(to or self.request.url.path, status_code=303)

    async def take_flash(self) -> str:
        """The kept messages as HTML, once: they are gone from the session after this."""
        if not self.session.flash:
            return ""
        await self.setup.sessions.clear_flash(self.session)
        return "".join(flash_html(flash) for flash in self.session.flash)

    async def form(self) -> dict[str, list[str]]:
        """The posted url-encoded form, every value of each field (the body is read once)."""
        fields: dict[str, list[str]] = {}
        for key, value in await posted_form(self.request):
            fields.setdefault(key, []).append(value)
        return fields

    async def check_account(self) -> None:
        """End the session of a removed account; refresh the token of a changed one (role or
        stores), so the token and the pages agree with the account as it stands now. One
        ``_id`` read per request: a removed admin must not keep managing the team until their
        token expires."""
        account = await self.setup.auth.console_users.get(self.user.user_id)
        if account is None:
            await self.setup.sessions.end(self.session)
            raise SessionExpired("the console account was removed")
        if account.role != self.user.role or \
                frozenset(account.store_ids) != self.user.store_ids:
            await self.access_token(force_refresh=True)

    async def access_token(self, *, force_refresh: bool = False) -> str:
        """A valid access token of this session, refreshed when close to expiry (or when
        forced): the person's role, scopes and stores are then read again."""
        tokens = self.session.tokens
        if tokens is None:
            raise SessionExpired("not signed in")
        if not force_refresh and tokens.access_expires_at - utcnow() > oauth.REFRESH_BEFORE:
            return tokens.access_token
        if tokens.refresh_token is None:
            raise SessionExpired("the session's token expired")
        try:
            answer = await oauth.refresh(self.request, tokens.refresh_token)
        except oauth.TokenRefused as exc:
            await self.setup.sessions.end(self.session)
            raise SessionExpired(str(exc)) from exc
        fresh = Tokens(str(answer["access_token"]), oauth.expires_at(answer),
                       str(answer.get("refresh_token") or tokens.refresh_token))
        person = await person_of(self.setup.auth, fresh.access_token)
        if person is None:
            await self.setup.sessions.end(self.session)
            raise SessionExpired("the account is no longer a console account")
        self.session = await self.setup.sessions.store_tokens(self.session, fresh, person)
        return fresh.access_token

    async def graphql(self, query: str, variables: dict[str, Any] | None = None,
                      ) -> dict[str, Any]:
        """The JSON body of ``/graphql``'s answer to ``query`` as this person."""
        token = await self.access_token()
        answer = await post_json(self.request, "/graphql",
                                 {"query": query, "variables": variables or {}},
                                 {"authorization": f"Bearer {token}"})
        body = answer.json() if answer.body else {}
        if answer.status == 401:
            await self.setup.sessions.end(self.session)
            raise SessionExpired("the gateway refused the session's token")
        return body if isinstance(body, dict) else {}
