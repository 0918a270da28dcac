"""``loopgate inventory unfreeze``: release SKUs an ERP froze with a far-future timestamp.

A count, movement or price stored with an ``occurredAt`` far ahead made every later one of
that SKU STALE (newer input is now refused instead: ``LOOPGATE_SYNC_MAX_FUTURE_SECONDS``).
This moves such markers back to now (:mod:`schema.catalog.unfreeze`), so the ERP's next
count or price applies; it is safe to run while ERPs sync.
"""

from __future__ import annotations

import argparse
import asyncio

from gateway.cli._console import CliError, console
from gateway.cli._database import add_settings_arguments, connect, database_uri, settings_from
from gateway.cli.clients import resolve_partner
from schema.catalog.unfreeze import Unfrozen, unfreeze
from schema.kernel.time import to_iso
from schema.stores.read import store_id_for_code


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inventory", help="repair a partner's stock and prices")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    release = actions.add_parser(
        "unfreeze", help="move future countedAt/movement/priceAt markers to now, so the "
                         "ERP's next count or price applies")
    release.add_argument("--partner", required=True, help="partner id (ptn_…) or slug")
    release.add_argument("--store", help="only this store (its code); prices are per product "
                                         "and are released for every store")
    release.add_argument("--sku", help="only this SKU")
    add_settings_arguments(release)
    release.set_defaults(run=run_unfreeze)


def run_unfreeze(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def work(uri: str) -> Unfrozen:
        mongo = await connect(uri, settings)
        try:
            partner_id = await resolve_partner(mongo.db, args.partner)
            store_id = None
            if args.store is not None:
                store_id = await store_id_for_code(mongo.db, partner_id, args.store)
                if store_id is None:
                    raise CliError(f"partner {args.partner!r} has no store with code "
                                   f"{args.store!r}")
            return await unfreeze(mongo.db, partner_id, store_id=store_id, sku=args.sku)
        finally:
            await mongo.close()

    with database_uri(settings) as uri:
        done = asyncio.run(work(uri))
    console.print(f"released {len(done.rows)} stock rows and {len(done.products)} product "
                  f"prices: their future markers now read {to_iso(done.at)}", highlight=False)
    for row in done.rows:
        console.print(f"  stock  {row['storeId']}  {row['sku']}", highlight=False)
    return 0
