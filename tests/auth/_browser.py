"""A member's browser going through the login and consent pages, over real HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from schema.kernel.ids import new_id
from tests.auth.fixtures import AuthServer

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(html: str) -> list[tuple[str, str]]:
    from html import unescape

    return [(unescape(k), unescape(v)) for k, v in _HIDDEN.findall(html)]


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Member:
    """A member with a demo credential, signed in through the login page when asked."""

    server: AuthServer
    member_id: str
    username: str
    password: str = "correct horse"

    @classmethod
    async def create(cls, server: AuthServer) -> Member:
        member = cls(server, new_id("mem"), f"member-{new_id('evt')[-8:].lower()}")
        await server.service.members.set_login(member.username, member.password,
                                               member.member_id)
        return member

    async def sign_in(self, browser: httpx.AsyncClient, next_url: str) -> httpx.Response:
        return await browser.post(self.server.url("/oauth/login"), data={
            "username": self.username, "password": self.password, "next": next_url})

    async def authorize(self, browser: httpx.AsyncClient, url: str,
                        decision: str = "approve") -> httpx.Response:
        """Open ``url``, sign in if asked, answer the consent page; the final response."""
        page = await browser.get(url)
        if "Sign in to Loopgate" in page.text:
            next_url = dict(hidden_fields(page.text))["next"]
            signed_in = await self.sign_in(browser, next_url)
            assert signed_in.status_code == 303, signed_in.text
            page = await browser.get(self.server.url(signed_in.headers["location"]))
        if page.status_code != 200 or "would like to" not in page.text:
            return page
        form = [*hidden_fields(page.text), ("decision", decision)]
        return await browser.post(self.server.url("/oauth/authorize"), data=dict(form))
