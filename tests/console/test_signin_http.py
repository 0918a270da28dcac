"""Console sign-in over plain HTTP (no browser): the OAuth code flow with PKCE, sessions,
CSRF, roles and store binding, and what the console's token may do."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx

from auth.hashing import token_hash
from schema.kernel.time import utcnow
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


async def test_the_console_token_acts_for_the_partner_with_the_role_scopes(
        console: ConsolePlatform) -> None:
    for who, expected in (("admin", {"apps:manage", "webhooks:manage", "orders:read"}),
                          ("developer", {"webhooks:manage", "subgraphs:manage"}),
                          ("staff_a", {"orders:write", "vouchers:redeem"})):
        async with signed_in_client(console, who) as http:
            answer = await http.post("/console/graphql", json={
                "query": "{ viewer { partner { id } clientId scopes } }"},
                headers={"X-CSRF-Token": await csrf_of(http)})
            viewer = answer.json()["data"]["viewer"]
            assert viewer["partner"]["id"] == console.partner_id
            assert viewer["clientId"] == "console"
            assert expected <= set(viewer["scopes"])
            if who != "admin":
                assert "apps:manage" not in viewer["scopes"]


async def csrf_of(http: httpx.AsyncClient) -> str:
    page = await http.get("/console")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


async def test_a_wrong_password_is_refused_and_members_cannot_use_it(
        console: ConsolePlatform) -> None:
    async with httpx.AsyncClient(base_url=console.base_url, timeout=60) as http:
        answer = await sign_in(http, console, "admin", password="not the password")
        assert answer.status_code == 401 and "Wrong email or password." in answer.text
        assert (await http.get("/console")).status_code == 303


async def test_each_page_of_the_portal_answers_its_roles(console: ConsolePlatform) -> None:
    pages = ("/console", "/console/apps", "/console/webhooks", "/console/subgraphs",
             "/console/usage", "/console/graphiql", "/console/schema", "/console/team")
    allowed = {"admin": set(pages),
               "developer": {"/console", "/console/webhooks", "/console/subgraphs",
                             "/console/graphiql", "/console/schema"},
               "staff_a": {"/console"}}
    for who, may in allowed.items():
        async with signed_in_client(console, who) as http:
            for path in pages:
                answer = await http.get(path)
                assert answer.status_code == (200 if path in may else 403), (who, path)
                assert '<html lang="en">' in answer.text
                if path not in may:
                    assert "This page is for" in answer.text


async def test_a_post_without_the_session_csrf_token_is_refused(
        console: ConsolePlatform) -> None:
    async with signed_in_client(console, "admin") as http:
        before = await console.live["oauth_clients"].count_documents({})
        for token in (None, "forged"):
            form = {"name": "Sneaky", "scopes": "orders:read"}
            if token:
                form["csrf"] = token
            answer = await http.post("/console/apps", data=form)
            assert answer.status_code == 403 and "Form refused" in answer.text
        assert await console.live["oauth_clients"].count_documents({}) == before
        proxy = await http.post("/console/graphql", json={"query": "{ viewer { clientId } }"})
        assert proxy.status_code == 403
        assert proxy.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_expired_session_goes_back_to_sign_in_with_a_message(
        console: ConsolePlatform) -> None:
    async with signed_in_client(console, "developer") as http:
        await console.live["console_sessions"].update_many(
            {"user.email": console.emails["developer"]},
            {"$set": {"expiresAt": utcnow() - timedelta(seconds=1)}})
        answer = await http.get("/console/webhooks")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/signin?expired=1"
        page = await http.get(answer.headers["location"])
        assert "Your console session has expired" in page.text
        proxy = await http.post("/console/graphql", json={"query": "{ viewer { clientId } }"},
                                headers={"X-CSRF-Token": "whatever"})
        assert proxy.status_code == 401


async def test_staff_of_one_store_are_refused_another_store(console: ConsolePlatform) -> None:
    async with signed_in_client(console, "staff_a") as http:
        own = await http.get(f"/console/stores/{console.store_ids['A']}")
        assert own.status_code == 200 and "CM-A" in own.text
        assert f"/console/stores/{console.store_ids['A']}/orders" in own.text
        assert f"/console/stores/{console.store_ids['A']}/redeem" in own.text
        other = await http.get(f"/console/stores/{console.store_ids['B']}")
        assert other.status_code == 403
        assert f"Store {console.store_ids['B']} is not one of your stores" in other.text
    async with signed_in_client(console, "admin") as http:
        theirs = await http.get(f"/console/stores/{console.store_ids['B']}")
        assert theirs.status_code == 200 and "/redeem" not in theirs.text


async def test_an_admin_adds_and_removes_a_person(console: ConsolePlatform) -> None:
    async with signed_in_client(console, "admin") as http:
        csrf = await csrf_of(http)
        added = await http.post("/console/team", data={
            "csrf": csrf, "email": "new.staff@console.test", "role": "staff", "stores": "CM-B"},
            follow_redirects=True)
        assert added.status_code == 200, added.text
        password = re.search(r'aria-label="One-time password">([^<]+)<', added.text).group(1)
        assert "<td>staff</td><td><code>CM-B</code></td>" in added.text
        refused = await http.post("/console/team", data={
            "csrf": csrf, "email": "x@console.test", "role": "staff", "stores": "NOPE"})
        assert refused.status_code == 400 and "no store with code &#x27;NOPE&#x27;" in refused.text
    console.emails["new_staff"] = "new.staff@console.test"
    async with httpx.AsyncClient(base_url=console.base_url, timeout=60) as staff:
        assert (await sign_in(staff, console, "new_staff", password)).status_code == 200
        assert (await staff.get(f"/console/stores/{console.store_ids['B']}")).status_code == 200
        user = await console.live["console_users"].find_one({"email": "new.staff@console.test"})
        async with signed_in_client(console, "admin") as http:
            removed = await http.post(f"/console/team/{user['_id']}/remove",
                                      data={"csrf": await csrf_of(http)},
                                      follow_redirects=True)
            assert removed.status_code == 200 and "is removed" in removed.text
        gone = await staff.get(f"/console/stores/{console.store_ids['B']}")
        assert gone.status_code == 303 and gone.headers["location"].endswith("expired=1")


async def test_the_schema_reference_groups_by_owning_subgraph(console: ConsolePlatform) -> None:
    async with signed_in_client(console, "developer") as http:
        text = (await http.get("/console/schema")).text
    sections = dict(re.findall(r'<h2 id="domain-([a-z_-]+)">[^<]*</h2>(.*?)</section>', text,
                               re.S))
    assert {"stores", "orders", "marketing", "partners"} <= set(sections)
    assert 'id="type-Order"' in sections["orders"] and "placeOrder" in sections["orders"]
    assert 'id="type-Store"' in sections["stores"]
    assert 'id="type-Store"' not in sections["maps"]   # maps only extends Store
    assert "createWebhookEndpoint" in sections["partners"]
    assert "The app&#x27;s id, also its OAuth client id." in sections["partners"]


async def test_the_session_cookie_is_http_only_and_same_site(console: ConsolePlatform) -> None:
    async with httpx.AsyncClient(base_url=console.base_url) as http:
        start = await http.get("/console/signin/start")
    assert start.status_code == 303 and start.headers["location"].startswith(
        "/oauth/authorize?response_type=code&client_id=console")
    assert "code_challenge_method=S256" in start.headers["location"]
    cookie = start.headers["set-cookie"].lower()
    assert "loopgate_console=" in cookie and "httponly" in cookie
    assert "samesite=lax" in cookie and "path=/console" in cookie
    assert "secure" not in cookie   # the test issuer is plain http on loopback


async def test_a_token_near_expiry_is_refreshed_and_the_session_goes_on(
        console: ConsolePlatform) -> None:
    async with signed_in_client(console, "developer") as http:
        key = token_hash(http.cookies["loopgate_console"])
        before = await console.live["console_sessions"].find_one({"_id": key})
        await console.live["console_sessions"].update_one(
            {"_id": before["_id"]}, {"$set": {"tokens.accessExpiresAt": utcnow()}})
        assert (await http.get("/console/webhooks")).status_code == 200
        after = await console.live["console_sessions"].find_one({"_id": before["_id"]})
        assert after["tokens"]["accessToken"] != before["tokens"]["accessToken"]
        assert after["tokens"]["refreshToken"] != before["tokens"]["refreshToken"]
        assert after["expiresAt"] == before["expiresAt"]


async def test_signing_out_ends_the_session_and_revokes_its_refresh_token(
        console: ConsolePlatform) -> None:
    async with signed_in_client(console, "developer") as http:
        key = token_hash(http.cookies["loopgate_console"])
        session = await console.live["console_sessions"].find_one({"_id": key})
        out = await http.post("/console/signout", data={"csrf": await csrf_of(http)})
        assert out.status_code == 303 and out.headers["location"].endswith("signed_out=1")
        assert "You are signed out" in (await http.get(out.headers["location"])).text
        assert await console.live["console_sessions"].find_one({"_id": key}) is None
        assert (await http.get("/console")).status_code == 303
        reuse = await http.post("/oauth/token", data={
            "grant_type": "refresh_token", "client_id": "console",
            "refresh_token": session["tokens"]["refreshToken"]})
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"


async def test_a_refused_registration_shows_why_and_changes_nothing(
        console: ConsolePlatform) -> None:
    async with signed_in_client(console, "developer") as http:
        answer = await http.post("/console/subgraphs", data={
            "csrf": await csrf_of(http), "name": "ratings", "url": "http://10.1.2.3/graphql"})
        assert answer.status_code == 400
        assert 'class="error" role="alert"' in answer.text and "10.1.2.3" in answer.text
        assert "No subgraphs registered." in answer.text
