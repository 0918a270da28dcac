"""``loopgate partners list [--json]``: the partners in the database, to pass to ``clients``.

A newcomer needs a partner id or slug before ``loopgate clients create --partner …``; this
lists them (the demo data has five) with how many OAuth apps each has.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import CLIENTS
from gateway.cli._console import console, console_err
from gateway.cli._database import add_settings_arguments, with_database


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("partners", help="list partners")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
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
