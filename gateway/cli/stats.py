"""``loopgate stats rebuild [--campaign ID] [--sandbox]``: recompute campaigns' stats.

The figures are kept by the writers of purchases, redemptions and refunds; this recounts
them from the vouchers (:func:`schema.marketing.stats.rebuild`) and writes the recount, for
one campaign or every campaign, in the live database or its sandbox twin. Run it on a
quiet campaign: a purchase or redemption written while its recount runs may be left out
until the next rebuild.
"""

from __future__ import annotations

import argparse

from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import CliError, console
from gateway.cli._database import add_settings_arguments, with_database
from schema.kernel.ids import InvalidId, parse_id
from schema.kernel.sandbox import sandbox_name
from schema.marketing.campaigns import get_campaign
from schema.marketing.collections import CAMPAIGNS
from schema.marketing.stats import Figures, rebuild


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("stats", help="campaign stats")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    again = actions.add_parser("rebuild", help="recount campaigns' stats from their vouchers "
                               "and write the recount; prints each campaign's figures")
    again.add_argument("--campaign", metavar="ID", help="only this campaign (cmp_…)")
    again.add_argument("--sandbox", action="store_true",
                       help="the sandbox database instead of the live one")
    add_settings_arguments(again)
    again.set_defaults(run=run_rebuild)


def _line(campaign_id: str, figures: Figures) -> str:
    return (f"{campaign_id}  sold {figures.sold}  redeemed {figures.redeemed}  revenue "
            f"{figures.revenue} {figures.currency}  stores {len(figures.stores)}  channels "
            f"{len(figures.channels)}")


def run_rebuild(args: argparse.Namespace) -> int:
    try:
        only = parse_id(args.campaign, "cmp") if args.campaign is not None else None
    except InvalidId as exc:
        raise CliError(f"--campaign: {exc}") from exc

    async def recount(live: AsyncDatabase) -> list[tuple[str, Figures]]:
        db = live.client[sandbox_name(live.name)] if args.sandbox else live
        if only is not None:
            if await get_campaign(db, only) is None:
                raise CliError(f"no campaign {only} in the {db.name} database")
            ids = [only]
        else:
            ids = [c["_id"] async for c in db[CAMPAIGNS].find({}, {"_id": 1}).sort("_id", 1)]
        return [(campaign_id, await rebuild(db, campaign_id)) for campaign_id in ids]

    rebuilt = with_database(args, recount)
    for campaign_id, figures in rebuilt:
        console.print(_line(campaign_id, figures), highlight=False)
    if not rebuilt:
        console.print("no campaigns", highlight=False)
    return 0
