"""``loopgate worker``: deliver webhooks, alone (``loopgate serve`` runs the same dispatcher).

Any number of workers and servers share the work through leases in the database
(:mod:`partners.webhooks.dispatcher`): start more to deliver more, stop one at any time —
what it had in flight is delivered by another once its lease runs out. One dispatcher runs
per database: the live one and its sandbox.
"""

import argparse
import asyncio
import dataclasses

from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import console_err
from gateway.cli._database import add_settings_arguments, with_database
from partners.webhooks.dispatcher import DispatcherSettings, run_dispatcher_forever
from schema.kernel.sandbox import Databases


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("worker", help="deliver webhooks (runs until interrupted)")
    parser.add_argument("--concurrency", type=int, default=DispatcherSettings.concurrency,
                        help="requests in flight at once per database (default %(default)s)")
    add_settings_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        console_err.print("[bold red]error:[/] --concurrency must be at least 1")
        return 2
    settings = dataclasses.replace(DispatcherSettings(), concurrency=args.concurrency)

    async def work(db: AsyncDatabase) -> None:
        databases = Databases.beside(db).each()
        console_err.print(f"delivering webhooks of {', '.join(d.name for d in databases)}")
        await asyncio.gather(*(run_dispatcher_forever(each, settings) for each in databases))

    with_database(args, work)
    return 0
