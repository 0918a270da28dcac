"""``loopgate users create|list|remove`` on the real database: the accounts it makes sign in
(with the printed one-time password or the one read from stdin), staff are bound to store
codes of their partner, and bad input fails with a clear message and changes nothing."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from auth.console_users import ConsoleUsers
from gateway.cli import main
from tests.console.conftest import ConsolePlatform


async def _users(capsys: pytest.CaptureFixture, console: ConsolePlatform, ferretdb: str,
                 *argv: str) -> tuple[int, str, str]:
    flags = ["--mongodb-uri", ferretdb, "--db", console.live.name]
    status = await asyncio.to_thread(main, ["users", *argv, *flags])
    out, err = capsys.readouterr()
    return status, out.strip(), " ".join(err.split())


async def test_created_accounts_sign_in_with_their_password(
        console: ConsolePlatform, ferretdb: str, capsys: pytest.CaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    users = ConsoleUsers(console.live)
    status, password, err = await _users(capsys, console, ferretdb, "create", "--partner",
                                         console.partner_id, "--email", "Dev.CLI@console.test",
                                         "--role", "developer")
    assert status == 0 and "not shown again" in err and len(password) >= 16
    made = await users.authenticate("dev.cli@console.test", password)
    assert made is not None and made.role == "developer" and made.store_ids == ()

    monkeypatch.setattr("sys.stdin", io.StringIO("staff password 1\n"))
    status, out, _ = await _users(capsys, console, ferretdb, "create", "--partner",
                                  console.partner_id, "--email", "till@console.test",
                                  "--role", "staff", "--store", "CM-B", "--password-stdin")
    assert status == 0 and out == ""
    staff = await users.authenticate("till@console.test", "staff password 1")
    assert staff is not None and staff.store_ids == (console.store_ids["B"],)

    status, out, _ = await _users(capsys, console, ferretdb, "list", "--partner",
                                  console.partner_id, "--json")
    listed = {user["email"]: user for user in json.loads(out)}
    assert listed["till@console.test"]["store_ids"] == [console.store_ids["B"]]

    status, out, _ = await _users(capsys, console, ferretdb, "remove", "TILL@console.test")
    assert status == 0 and "removed till@console.test" in out
    assert await users.authenticate("till@console.test", "staff password 1") is None


@pytest.mark.parametrize(("extra", "message"), [
    (["--email", "nobody", "--role", "admin"], "not an email address"),
    (["--email", "s@console.test", "--role", "staff"], "store staff need at least one store"),
    (["--email", "s@console.test", "--role", "staff", "--store", "ZZ"],
     "the partner has no store with code 'ZZ'"),
    (["--email", "s@console.test", "--role", "admin", "--store", "CM-A"],
     "only store staff are bound to stores"),
])
async def test_bad_input_is_refused_and_creates_nothing(
        console: ConsolePlatform, ferretdb: str, capsys: pytest.CaptureFixture,
        extra: list[str], message: str) -> None:
    before = await console.live["console_users"].count_documents({})
    status, _, err = await _users(capsys, console, ferretdb, "create", "--partner",
                                  console.partner_id, *extra)
    assert status != 0 and message in err
    assert await console.live["console_users"].count_documents({}) == before


async def test_an_email_has_one_account(console: ConsolePlatform, ferretdb: str,
                                        capsys: pytest.CaptureFixture) -> None:
    status, _, err = await _users(capsys, console, ferretdb, "create", "--partner",
                                  console.partner_id, "--email",
                                  console.emails["admin"].upper(), "--role", "developer")
    assert status != 0 and "already has a console account" in err
