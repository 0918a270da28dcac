"""``loopgate members login-code PHONE`` on the real database: a member registered by a
merchant gets a fresh code, sets a password with it on the real ``/oauth/set-password`` and
signs in with the phone (authorization code + PKCE); unknown and malformed phones fail."""

import asyncio
import secrets

import pytest
from authlib.common.security import generate_token

from gateway.cli import main
from schema.kernel.ids import new_id
from schema.kernel.signin_codes import SIGNIN_CODES, consume_signin_code
from schema.membership.members import register
from tests.auth._browser import Member
from tests.auth.fixtures import REDIRECT_URI, AuthServer
from tests.auth.test_authorization_code import GRANTS, _code, _exchange
from tests.auth.test_set_password import _browser, _set_password


def _phone() -> tuple[str, str]:
    """A fresh mobile number: (E.164, as typed without the country code)."""
    digits = f"{secrets.randbelow(10**8):08d}"
    return f"+86139{digits}", f"139 {digits[:4]} {digits[4:]}"


async def _login_code(capsys: pytest.CaptureFixture, flags: list[str],
                      phone: str) -> tuple[int, str, str]:
    """Run the command in a worker thread (it runs its own event loop): exit, out, err."""
    status = await asyncio.to_thread(main, ["members", "login-code", phone, *flags])
    out, err = capsys.readouterr()
    return status, out.strip(), " ".join(err.split())


async def test_a_new_code_lets_the_member_set_a_password_and_sign_in(
        auth_server: AuthServer, ferretdb: str, capsys: pytest.CaptureFixture) -> None:
    db = auth_server.service.db
    flags = ["--mongodb-uri", ferretdb, "--db", db.name]
    phone, typed = _phone()
    member_id = (await register(db, phone, "Ada", new_id("ptn"))).member["_id"]

    status, first, _ = await _login_code(capsys, flags, typed)
    assert status == 0 and len(first) == 8 and first.isdigit()
    status, code, err = await _login_code(capsys, flags, phone)
    assert status == 0 and f"then signs in as {phone}" in err
    if first != code:
        assert await consume_signin_code(db, phone, first) is None   # replaced

    async with _browser() as browser:
        done = await _set_password(auth_server, browser, typed, code, "ada's new password")
    assert done.status_code == 200, done.text
    issued = await auth_server.register("points:read", grants=GRANTS,
                                        redirect_uris=(REDIRECT_URI,))
    verifier = generate_token(64)
    member = Member(auth_server, member_id, phone, "ada's new password")
    token = await _exchange(auth_server, issued,
                            await _code(auth_server, member, issued, verifier), verifier)
    assert (await auth_server.service.verifier.verify(token["access_token"])).member_id == \
        member_id


async def test_an_unknown_or_malformed_phone_fails_and_issues_nothing(
        auth_server: AuthServer, ferretdb: str, capsys: pytest.CaptureFixture) -> None:
    db = auth_server.service.db
    flags = ["--mongodb-uri", ferretdb, "--db", db.name]
    phone, typed = _phone()
    status, out, err = await _login_code(capsys, flags, typed)
    assert (status, out) == (1, "")
    assert f"no member with the phone number {phone}" in err
    assert await db[SIGNIN_CODES].find_one({"_id": f"signin:{phone}"}) is None
    status, out, err = await _login_code(capsys, flags, "not-a-phone")
    assert (status, out) == (1, "") and "'not-a-phone' is not a phone number" in err
