"""``loopgate users create|list|remove``: console accounts (the people of a partner who sign in
to ``/console``, :mod:`auth.console_users`).

``create`` prints a one-time password on stdout (nothing else there), or takes the password
from standard input with ``--password-stdin``; store staff name their stores by code
(``--store``, repeatable), resolved among the partner's stores. ``remove`` deletes the account
and revokes every console token it holds.
"""

from __future__ import annotations

import argparse
import json
import sys

from pymongo.asynchronous.database import AsyncDatabase

from auth.console_client import CONSOLE_CLIENT_ID
from auth.console_users import (
    PASSWORD_MIN,
    ROLES,
    ConsoleUser,
    ConsoleUserError,
    ConsoleUsers,
    new_password,
    normalise_email,
)
from auth.refresh import RefreshTokens
from auth.revocation import RevocationList
from gateway.cli._console import CliError, console, console_err
from gateway.cli._database import add_settings_arguments, with_database
from gateway.cli.clients import resolve_partner, resolve_stores


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("users", help="console accounts of a partner's people")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", help="create a console account; prints a one-time "
                                "password unless --password-stdin")
    create.add_argument("--partner", required=True, help="partner id (ptn_…) or slug")
    create.add_argument("--email", required=True, help="the person's email (their sign-in)")
    create.add_argument("--role", required=True, choices=ROLES,
                        help="admin (apps, webhooks, subgraphs, team), developer (webhooks, "
                             "subgraphs) or staff (their stores' orders and vouchers)")
    create.add_argument("--store", action="append", default=[], dest="stores", metavar="CODE",
                        help="a store of the partner, by code, for staff (repeatable)")
    create.add_argument("--password-stdin", action="store_true",
                        help=f"read the password (at least {PASSWORD_MIN} characters) from "
                             "standard input instead of generating one")
    create.set_defaults(run=run_create)

    listing = actions.add_parser("list", help="a partner's console accounts")
    listing.add_argument("--partner", required=True, help="partner id (ptn_…) or slug")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=run_list)

    remove = actions.add_parser("remove", help="delete an account and revoke its tokens")
    remove.add_argument("email")
    remove.set_defaults(run=run_remove)

    for sub in (create, listing, remove):
        add_settings_arguments(sub)


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password to set and whether it was generated (and must be printed)."""
    if not args.password_stdin:
        return new_password(), True
    typed = sys.stdin.readline().rstrip("\r\n")
    if len(typed) < PASSWORD_MIN:
        raise CliError(f"the password on standard input has under {PASSWORD_MIN} characters")
    return typed, False


def run_create(args: argparse.Namespace) -> int:
    password, generated = _password(args)

    async def create(db: AsyncDatabase) -> ConsoleUser:
        partner_id = await resolve_partner(db, args.partner)
        store_ids = await resolve_stores(db, partner_id, args.stores, sandbox=False)
        try:
            return await ConsoleUsers(db).create(
                partner_id=partner_id, email=args.email, role=args.role, password=password,
                store_ids=store_ids, created_by="cli")
        except ConsoleUserError as exc:
            raise CliError(str(exc)) from exc

    user = with_database(args, create)
    if generated:
        console.print(password, highlight=False, markup=False)
        console_err.print("[yellow]hand this password over now: it is not shown again[/]")
    console_err.print(f"{user.email} ({user.role}) signs in at /console", highlight=False,
                      markup=False)
    return 0


def _as_json(user: ConsoleUser) -> dict[str, object]:
    return {"id": user.id, "partner_id": user.partner_id, "email": user.email,
            "role": user.role, "store_ids": list(user.store_ids),
            "created_at": user.created_at.isoformat()}


def run_list(args: argparse.Namespace) -> int:
    async def listing(db: AsyncDatabase) -> list[ConsoleUser]:
        return await ConsoleUsers(db).list_for_partner(await resolve_partner(db, args.partner))

    users = with_database(args, listing)
    if args.json:
        print(json.dumps([_as_json(user) for user in users]))
        return 0
    for user in users:
        stores = f"  stores: {' '.join(user.store_ids)}" if user.store_ids else ""
        console.print(f"{user.id}  {user.email}  {user.role}{stores}", highlight=False,
                      markup=False)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    try:
        email = normalise_email(args.email)
    except ConsoleUserError as exc:
        raise CliError(str(exc)) from exc

    async def remove(db: AsyncDatabase) -> ConsoleUser:
        users = ConsoleUsers(db)
        found = await users.find_by_email(email)
        if found is None:
            raise CliError(f"no console account for {email}")
        await users.remove(found.id)
        await RefreshTokens(db, RevocationList(db)).revoke_member_client(found.id,
                                                                         CONSOLE_CLIENT_ID)
        return found

    user = with_database(args, remove)
    console.print(f"removed {user.email}; its console tokens are revoked", highlight=False,
                  markup=False)
    return 0

