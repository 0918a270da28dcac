"""The console as a first-party client, at the auth boundary: a member's sign-in never
authorizes the console, a console user's sign-in never authorizes a partner app, the
sign-in is spent by the code it allows, and the next request reads the account as it
stands now (a role changed by the admin: a fresh token; an account removed: signed out)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx

from auth.console_users import ConsoleUsers
from gateway.console.oauth import pkce_pair
from schema.kernel.ids import new_id
from tests.console.conftest import PASSWORD, ConsolePlatform
from tests.console.test_signin_http import sign_in, signed_in_client


async def test_a_members_sign_in_does_not_open_the_console(console: ConsolePlatform) -> None:
    auth = console.app.state.auth
    await auth.members.set_login("ada-console", "ada's password", new_id("mem"))
    async with httpx.AsyncClient(base_url=console.base_url, timeout=60) as http:
        member = await http.post("/oauth/login", data={
            "username": "ada-console", "password": "ada's password", "next": "/oauth/consents"})
        assert member.status_code == 303 and "loopgate_session" in http.cookies
        page = await http.get("/console", follow_redirects=True)
        assert page.status_code == 200
        assert "Sign in to the Loopgate console" in page.text
        assert "/console/callback" not in str(page.url)


async def test_a_console_sign_in_does_not_authorize_a_partner_app(
        console: ConsolePlatform) -> None:
    issued = await console.app.state.auth.clients.create(
        partner_id=console.partner_id, name="Member app", scopes="orders:read", public=True,
        grant_types=["authorization_code"], redirect_uris=["http://127.0.0.1/cb"])
    _verifier, challenge = pkce_pair()
    authorize = "/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": issued.client.client_id,
        "redirect_uri": "http://127.0.0.1/cb", "code_challenge": challenge,
        "code_challenge_method": "S256", "state": "s"})
    async with httpx.AsyncClient(base_url=console.base_url, timeout=60) as http:
        answer = await http.post("/oauth/console-login", data={
            "email": console.emails["admin"], "password": PASSWORD, "next": authorize},
            follow_redirects=True)
        assert answer.status_code == 200
        assert "Sign in to Loopgate" in answer.text and "Member name" in answer.text
        assert "127.0.0.1/cb" not in str(answer.url)


async def test_the_sign_in_is_spent_by_the_code_it_allows(console: ConsolePlatform) -> None:
    async with httpx.AsyncClient(base_url=console.base_url, timeout=60) as http:
        assert (await sign_in(http, console, "developer")).status_code == 200
        assert "loopgate_console_signin" not in http.cookies
        again = await http.get("/console/signin/start", follow_redirects=True)
        assert "Sign in to the Loopgate console" in again.text   # the password is asked again


async def test_a_refresh_reads_the_role_as_it_stands_now(console: ConsolePlatform) -> None:
    users = ConsoleUsers(console.live)
    email = f"promoted-{new_id('evt')[-6:].lower()}@console.test"
    user = await users.create(partner_id=console.partner_id, email=email, role="developer",
                              password=PASSWORD)
    console.emails[email] = email
    async with signed_in_client(console, email) as http:
        assert (await http.get("/console/apps")).status_code == 403
        key = {"user.userId": user.id}
        before = (await console.live["console_sessions"].find_one(key))["tokens"]
        await console.live["console_users"].update_one({"_id": user.id},
                                                       {"$set": {"role": "admin"}})
        apps = await http.get("/console/apps")   # the next request gets a fresh token
        after = (await console.live["console_sessions"].find_one(key))["tokens"]
        assert after["accessToken"] != before["accessToken"]
        assert apps.status_code == 200 and re.search(r"admin</span>", apps.text)


async def test_repeated_wrong_passwords_are_slowed_per_email(console: ConsolePlatform) -> None:
    email = f"guessed-{new_id('evt')[-6:].lower()}@console.test"
    await ConsoleUsers(console.live).create(partner_id=console.partner_id, email=email,
                                            role="developer", password=PASSWORD)
    async with httpx.AsyncClient(base_url=console.base_url, timeout=60) as http:
        statuses = []
        for _ in range(6):
            answer = await http.post("/oauth/console-login", data={
                "email": email, "password": "wrong guess", "next": "/oauth/consents"})
            statuses.append(answer.status_code)
        assert statuses == [401] * 5 + [429]
        assert int(answer.headers["retry-after"]) > 0
        assert "Too many failed sign-in attempts" in answer.text
        right = await http.post("/oauth/console-login", data={
            "email": email, "password": PASSWORD, "next": "/oauth/consents"})
        assert right.status_code == 429   # even the right password waits
