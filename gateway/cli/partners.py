"""``loopgate partners create|list``: onboarding partners, and the ones to pass to ``clients``.

``create --name … --type … [--slug …] [--scopes "…"] [--json]`` is the platform admin's
onboarding (the contract has no partner-creation mutation): the partner's grantable scopes
default to its type's (:mod:`partners.registry`), and ``platform:admin`` is only for an
INTERNAL partner that names it. A newcomer needs a partner id or slug before ``loopgate
clients create --partner …``; ``list`` shows them (the demo data has five) with how many OAuth
apps each has.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import CLIENTS
from gateway.cli._console import CliError, console, console_err
from gateway.cli._database import add_settings_arguments, with_database
from partners.registry import PARTNER_TYPES, PartnerRegistrationError, create_partner


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("partners", help="create and list partners")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="onboard a partner")
    create.add_argument("--name", required=True, help="the partner's name")
    create.add_argument("--type", required=True, choices=PARTNER_TYPES, dest="partner_type")
    create.add_argument("--slug", help="short unique handle (default: from the name)")
    create.add_argument("--scopes", help='scopes its apps may be granted, space-separated '
                        '(default: the type\'s, see partners.registry)')
    create.add_argument("--json", action="store_true", help="print the partner as JSON")
    add_settings_arguments(create)
    create.set_defaults(run=run_create)
    listing = actions.add_parser("list", help="every partner: id, slug, name, type, apps")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    add_settings_arguments(listing)
    listing.set_defaults(run=run_list)


async def partner_rows(db: AsyncDatabase) -> list[dict[str, Any]]:
    """Every partner, by id, with the number of OAuth clients it owns."""
    apps = Counter([doc["partnerId"] async for doc in db[CLIENTS].find({}, {"partnerId": 1})])
    return [{"id": doc["_id"], "slug": doc.get("slug"), "name": doc.get("name"),
             "type": doc.get("type"), "apps": apps[doc["_id"]]}
            async for doc in db["partners"].find({}, {"slug": 1, "name": 1, "type": 1})
            .sort("_id", 1)]


def run_create(args: argparse.Namespace) -> int:
    async def create(db: AsyncDatabase) -> dict[str, Any]:
        try:
            return await create_partner(db, name=args.name, partner_type=args.partner_type,
                                        slug=args.slug, scopes=args.scopes)
        except PartnerRegistrationError as exc:
            raise CliError(f"{exc.field}: {exc}") from exc

    doc = with_database(args, create)
    row = {"id": doc["_id"], "slug": doc["slug"], "name": doc["name"], "type": doc["type"],
           "grantableScopes": doc["grantableScopes"]}
    if args.json:
        print(json.dumps(row))
        return 0
    console.print(f"{row['id']}  {row['slug']}  {row['type']}  {row['name']}",
                  highlight=False, markup=False)
    console.print(f"grantable scopes: {' '.join(row['grantableScopes'])}", highlight=False,
                  markup=False)
    return 0


def run_list(args: argparse.Namespace) -> int:
    rows = with_database(args, partner_rows)
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        console_err.print("no partners yet: `loopgate seed` loads the demo partners")
        return 0
    for row in rows:
        console.print(f"{row['id']}  {row['slug'] or '-':<18} {row['type'] or '-':<16} "
                      f"{row['apps']:>3} apps  {row['name']}", highlight=False, markup=False)
    return 0
