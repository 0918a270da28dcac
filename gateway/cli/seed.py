"""``loopgate seed``: load the deterministic demo data, idempotently, with a progress bar."""

import argparse
import asyncio

from pymongo.asynchronous.database import AsyncDatabase
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.cli._console import console_err
from gateway.cli._database import add_settings_arguments, connect, database_uri, settings_from
from gateway.demo import DEMO_STEPS
from schema.kernel.seeding import SeedStep


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("seed", help="load the demo data (idempotent)")
    add_settings_arguments(parser)
    parser.set_defaults(run=run)


async def seed_demo(db: AsyncDatabase, steps: tuple[SeedStep, ...] = DEMO_STEPS) -> None:
    """Apply every demo step in order, showing one progress bar per step."""
    columns = (TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console_err, transient=False) as progress:
        for step in steps:
            task = progress.add_task(step.name, total=step.total)
            await step.apply(db, lambda n, task=task: progress.advance(task, n))


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def _seed(uri: str) -> None:
        mongo = await connect(uri, settings)
        try:
            await seed_demo(mongo.db)
        finally:
            await mongo.close()

    with database_uri(settings) as uri:
        asyncio.run(_seed(uri))
    console_err.print(f"demo data loaded into database '{settings.db}'")
    return 0
