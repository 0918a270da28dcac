"""Console sign-in over plain HTTP (no browser): the OAuth code flow with PKCE, sessions,
CSRF, roles and store binding, and what the console's token may do."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import httpx

from tests.console.conftest import PASSWORD, ConsolePlatform


async def sign_in(http: httpx.AsyncClient, console: ConsolePlatform, who: str,
                  password: str = PASSWORD) -> httpx.Response:
    """Sign ``http`` in as ``who``; returns the page the sign-in ends on."""
    page = await http.get("/console", follow_redirects=True)
    assert page.status_code == 200, page.text
    assert "Sign in to the Loopgate console" in page.text
    next_url = re.search(r'name="next" value="([^"]+)"', page.text).group(1)
    answer = await http.post("/oauth/console-login", data={
        "email": console.emails[who], "password": password,
        "next": next_url.replace("&amp;", "&")}, follow_redirects=True)
    return answer


@contextlib.asynccontextmanager
async def signed_in_client(console: ConsolePlatform, who: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose cookie jar holds a signed-in console session of ``who``."""
    async with httpx.AsyncClient(base_url=console.base_url, timeout=60) as http:
        answer = await sign_in(http, console, who)
        assert answer.status_code == 200, answer.text
        yield http


async def test_an_admin_signs_in_and_sees_the_partner(console: ConsolePlatform) -> None:
    async with signed_in_client(console, "admin") as http:
        home = await http.get("/console")
        assert home.status_code == 200
        assert "Console Mart" in home.text and "apps:manage" in home.text
        apps = await http.get("/console/apps")
        assert apps.status_code == 200 and "Set-up app" in apps.text
