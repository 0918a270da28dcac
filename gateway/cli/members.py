"""``loopgate members login-code PHONE``: a fresh one-time sign-in code for a member.

Loopgate sends no SMS: ``registerMember`` writes the member's first code to the server log,
and this command issues a new one (the earlier code stops working) for the member to set a
password at ``/oauth/set-password``; the member then signs in with the phone number.
"""

from __future__ import annotations

import argparse

from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import CliError, console, console_err
from gateway.cli._database import add_settings_arguments, with_database
from schema.kernel.signin_codes import CODE_LIFETIME, issue_signin_code
from schema.membership.phones import InvalidPhone, member_id_by_phone, normalise_phone


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("members", help="members' sign-in")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    code = actions.add_parser("login-code", help="issue a one-time code for a member to set a "
                              "password at /oauth/set-password; prints it")
    code.add_argument("phone", metavar="PHONE", help="the member's phone number as registered, "
                      "e.g. +8613812345678")
    add_settings_arguments(code)
    code.set_defaults(run=run_login_code)


def run_login_code(args: argparse.Namespace) -> int:
    try:
        phone = normalise_phone(args.phone)
    except InvalidPhone as exc:
        raise CliError(str(exc)) from exc

    async def issue(db: AsyncDatabase) -> str:
        member_id = await member_id_by_phone(db, phone)
        if member_id is None:
            raise CliError(f"no member with the phone number {phone}; members are registered "
                           "by a merchant app (registerMember)")
        return await issue_signin_code(db, member_id, phone)

    code = with_database(args, issue)
    console.print(code, highlight=False)
    hours = int(CODE_LIFETIME.total_seconds() // 3600)
    console_err.print(f"the member sets a password with it at /oauth/set-password within "
                      f"{hours} h (once; any earlier code no longer works), then signs in "
                      f"as {phone}", highlight=False)
    return 0
