"""``/oauth/set-password`` over real HTTP on the real FerretDB: a member turns a sign-in code
into a password, then signs in with the phone number through the authorization-code + PKCE
flow; wrong, expired and reused codes, forged forms and too many attempts are refused."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from authlib.common.security import generate_token

from auth.ratelimit import RateLimits, SignInLimits
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.signin_codes import SIGNIN_CODES, issue_signin_code
from schema.kernel.time import utcnow
from tests.auth._browser import Member, hidden_fields
from tests.auth.fixtures import REDIRECT_URI, AuthServer
from tests.auth.test_authorization_code import GRANTS, _code, _exchange
from tests.auth.test_rate_limit import _limited_server

PASSWORD = "a long new password"


def _phone() -> tuple[str, str]:
    """A fresh mobile number: (E.164, as a person types it)."""
    digits = f"{secrets.randbelow(10**8):08d}"
    return f"+86138{digits}", f"+86 138 {digits[:4]} {digits[4:]}"


def _browser() -> httpx.AsyncClient:
    """A browser from its own address, so sign-in limits of other tests do not apply."""
    address = f"203.0.113.{secrets.randbelow(250) + 1}"
    return httpx.AsyncClient(headers={"X-Forwarded-For": address})


async def _set_password(server: AuthServer, browser: httpx.AsyncClient, phone: str,
                        code: str, password: str = PASSWORD,
                        next_url: str = "/oauth/consents") -> httpx.Response:
    form = await browser.get(server.url("/oauth/set-password"), params={"next": next_url})
    assert form.status_code == 200 and "Set your password" in form.text
    fields = dict(hidden_fields(form.text))
    assert fields["next"] == next_url
    return await browser.post(server.url("/oauth/set-password"), data={
        **fields, "phone": phone, "code": code, "password": password})


async def _member(server: AuthServer) -> tuple[str, str, str, str]:
    """A member with a fresh code: (member id, E.164 phone, phone as typed, code)."""
    member_id = new_id("mem")
    phone, typed = _phone()
    return member_id, phone, typed, await issue_signin_code(server.service.db, member_id, phone)


async def test_a_code_sets_the_password_and_the_member_signs_in_with_pkce(
        auth_server: AuthServer) -> None:
    member_id, phone, typed, code = await _member(auth_server)
    async with _browser() as browser:
        done = await _set_password(auth_server, browser, typed, code)
    assert done.status_code == 200, done.text
    assert f"Your password is set. Sign in with your phone number {phone}" in done.text
    assert await auth_server.service.members.authenticate(phone, PASSWORD) == member_id

    issued = await auth_server.register("points:read", grants=GRANTS,
                                        redirect_uris=(REDIRECT_URI,))
    verifier = generate_token(64)
    member = Member(auth_server, member_id, typed, PASSWORD)   # signs in as typed
    token = await _exchange(auth_server, issued,
                            await _code(auth_server, member, issued, verifier), verifier)
    principal = await auth_server.service.verifier.verify(token["access_token"])
    assert principal.member_id == member_id
    assert principal.client_id == issued.client.client_id


async def test_a_wrong_code_sets_nothing(auth_server: AuthServer) -> None:
    member_id, phone, typed, code = await _member(auth_server)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    async with _browser() as browser:
        refused = await _set_password(auth_server, browser, typed, wrong)
        assert refused.status_code == 401
        assert "wrong, has expired or was already used" in refused.text
        assert await auth_server.service.members.authenticate(phone, PASSWORD) is None
        assert (await _set_password(auth_server, browser, phone, code)).status_code == 200
    assert await auth_server.service.members.authenticate(phone, PASSWORD) == member_id


async def test_an_expired_code_is_refused(auth_server: AuthServer) -> None:
    _member_id, phone, typed, code = await _member(auth_server)
    await auth_server.service.db[SIGNIN_CODES].update_one(
        {"_id": f"signin:{phone}"}, {"$set": {"expiresAt": utcnow() - timedelta(seconds=1)}})
    async with _browser() as browser:
        assert (await _set_password(auth_server, browser, typed, code)).status_code == 401
    assert await auth_server.service.members.authenticate(phone, PASSWORD) is None


async def test_a_used_code_cannot_set_another_password(auth_server: AuthServer) -> None:
    member_id, phone, typed, code = await _member(auth_server)
    async with _browser() as browser:
        assert (await _set_password(auth_server, browser, typed, code)).status_code == 200
        again = await _set_password(auth_server, browser, typed, code, "someone else's pw")
    assert again.status_code == 401
    assert await auth_server.service.members.authenticate(phone, "someone else's pw") is None
    assert await auth_server.service.members.authenticate(phone, PASSWORD) == member_id


async def test_bad_input_is_answered_on_the_form_and_spends_nothing(
        auth_server: AuthServer) -> None:
    member_id, phone, typed, code = await _member(auth_server)
    async with _browser() as browser:
        short = await _set_password(auth_server, browser, typed, code, "short")
        assert short.status_code == 400 and "8 to 256 characters" in short.text
        not_a_phone = await _set_password(auth_server, browser, "call me", code)
        assert not_a_phone.status_code == 400
        assert "Enter the phone number you registered with" in not_a_phone.text
        assert (await _set_password(auth_server, browser, typed, code)).status_code == 200
    assert await auth_server.service.members.authenticate(phone, PASSWORD) == member_id


async def test_a_form_without_its_own_token_is_refused(auth_server: AuthServer) -> None:
    member_id, phone, typed, code = await _member(auth_server)
    url = auth_server.url("/oauth/set-password")
    fields = {"phone": typed, "code": code, "password": PASSWORD, "next": "/oauth/consents"}
    async with _browser() as forged:
        no_cookie = await forged.post(url, data={**fields, "csrf": "guess"})
        await forged.get(url)
        mismatch = await forged.post(url, data={**fields, "csrf": "guess"})
    assert (no_cookie.status_code, mismatch.status_code) == (403, 403)
    assert await auth_server.service.members.authenticate(phone, PASSWORD) is None
    async with _browser() as browser:
        assert (await _set_password(auth_server, browser, typed, code)).status_code == 200
    assert await auth_server.service.members.authenticate(phone, PASSWORD) == member_id


@pytest.fixture
async def limited(mongo: Mongo) -> AsyncIterator[AuthServer]:
    limits = RateLimits(sign_in=SignInLimits(per_account="3/hour", per_ip="50/hour"))
    async with _limited_server(mongo, limits) as running:
        yield running


async def test_attempts_are_limited_like_sign_in(limited: AuthServer) -> None:
    _member_id, phone, typed, code = await _member(limited)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    async with _browser() as browser:
        answers = [await _set_password(limited, browser, typed, wrong) for _ in range(3)]
        slowed = await _set_password(limited, browser, phone, code)
        sign_in = await browser.post(limited.url("/oauth/login"), data={
            "username": typed, "password": "whatever", "next": "/oauth/consents"})
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert slowed.status_code == 429 and int(slowed.headers["retry-after"]) >= 1
    assert "Too many failed sign-in attempts" in slowed.text
    assert sign_in.status_code == 429    # one allowance per phone, whichever page
    assert await limited.service.members.authenticate(phone, PASSWORD) is None
