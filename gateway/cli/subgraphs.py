"""``loopgate subgraphs list|remove|publish``: the operator's view of partner subgraphs.

Partners register and remove their own subgraphs through GraphQL (``registerSubgraph``,
``removeSubgraph``, scope ``subgraphs:manage``); the operator sees every partner's, takes one
out of the graph (``remove``: status REMOVED and a new supergraph version without it, picked
up by every gateway within a poll), or composes and publishes the graph again (``publish``:
the platform plus every ACTIVE partner subgraph, e.g. to serve them again after a
``loopgate supergraph rollback``). ``--sandbox`` works on the sandbox's subgraphs and graph
(the ones sandbox apps registered, served to sandbox tokens only).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import CliError, console
from gateway.cli._database import add_settings_arguments, with_database
from gateway.supergraph_versions import InvalidSupergraph, SupergraphVersion
from partners.subgraphs import GraphDoesNotCompose, SubgraphRecord, publish_graph
from partners.subgraphs.records import all_subgraphs
from partners.subgraphs.register import Outcome, remove_subgraph
from partners.subgraphs.turn import GraphBusy
from schema.kernel.sandbox import Databases


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("subgraphs", help="partner subgraphs: list, remove, publish")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every partner's subgraphs, with their status")
    listing.add_argument("--partner", help="only this partner's (its id)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=run_list)
    remove = actions.add_parser("remove", help="take a subgraph out of the graph")
    remove.add_argument("subgraph_id", metavar="SUBGRAPH_ID", help="its id (sgr_…)")
    remove.set_defaults(run=run_remove)
    publish = actions.add_parser("publish", help="compose the platform and the ACTIVE partner "
                                 "subgraphs and publish the result if it differs")
    publish.set_defaults(run=run_publish)
    for action in (listing, remove, publish):
        action.add_argument("--sandbox", action="store_true",
                            help="the sandbox's subgraphs and graph (sandbox apps')")
        add_settings_arguments(action)


def _db(args: argparse.Namespace, db: AsyncDatabase) -> AsyncDatabase:
    return Databases.beside(db).sandbox if args.sandbox else db


def _row(record: SubgraphRecord) -> dict[str, Any]:
    return {"id": record.id, "partner_id": record.partner_id, "name": record.name,
            "url": record.url, "status": str(record.status), "errors": list(record.errors),
            "supergraph_version": record.supergraph_version,
            "updated_at": record.updated_at.isoformat()}


def run_list(args: argparse.Namespace) -> int:
    async def listing(db: AsyncDatabase) -> list[SubgraphRecord]:
        return [r for r in await all_subgraphs(_db(args, db))
                if args.partner is None or r.partner_id == args.partner]

    records = with_database(args, listing)
    if args.json:
        console.print_json(json.dumps([_row(r) for r in records]))
        return 0
    for record in records:
        version = record.supergraph_version if record.supergraph_version is not None else "-"
        console.print(f"{record.id}  {record.name:<20} {record.status:<8} v{version:<5} "
                      f"{record.partner_id}  {record.url}", highlight=False, markup=False)
        for error in record.errors:
            console.print(f"    {error}", highlight=False, markup=False)
    if not records:
        console.print("no partner subgraphs", highlight=False)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    async def remove(db: AsyncDatabase) -> Outcome:
        try:
            return await remove_subgraph(_db(args, db), None, args.subgraph_id)
        except GraphBusy as exc:
            raise CliError(str(exc)) from exc

    outcome = with_database(args, remove)
    if outcome.errors:
        raise CliError("; ".join(f"{e.code}: {e.message}" for e in outcome.errors))
    removed = outcome.subgraph
    assert removed is not None
    served = "it was not in the graph" if removed.supergraph_version is None \
        else f"supergraph version {removed.supergraph_version} is served without it"
    console.print(f"removed {removed.name} ({removed.id}): {served}", highlight=False)
    return 0


def run_publish(args: argparse.Namespace) -> int:
    async def publish(db: AsyncDatabase) -> SupergraphVersion:
        try:
            return await publish_graph(_db(args, db))
        except (GraphDoesNotCompose, GraphBusy, InvalidSupergraph) as exc:
            raise CliError(str(exc)) from exc

    version = with_database(args, publish)
    console.print(f"serving supergraph version {version.version} ({version.source})",
                  highlight=False)
    return 0
