"""``loopgate seed``: load the deterministic demo data, idempotently, with a progress bar."""

import argparse
import asyncio

from pymongo.asynchronous.database import AsyncDatabase
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gateway.cli._console import console_err
from gateway.cli._database import add_settings_arguments, connect, database_uri, settings_from
from gateway.demo import demo_steps
from schema.kernel.seeding import SeedStep, is_done, mark_done


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("seed", help="load the demo data (idempotent)")
    parser.add_argument("--force", action="store_true",
                        help="run every step again, even those recorded as finished")
    add_settings_arguments(parser)
    parser.set_defaults(run=run)


async def seed_demo(db: AsyncDatabase, steps: tuple[SeedStep, ...], *,
                    force: bool = False) -> None:
    """Apply the demo steps in order, one progress bar each; steps recorded as finished are
    skipped unless ``force``."""
    columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console_err, transient=False) as progress:
        for step in steps:
            if not force and await is_done(db, step):
                progress.add_task(f"{step.name} (already in)", total=step.total,
                                  completed=step.total)
                continue
            task = progress.add_task(step.name, total=step.total)
            await step.apply(db, lambda n, task=task: progress.advance(task, n))
            await mark_done(db, step)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)

    async def _seed(uri: str) -> None:
        mongo = await connect(uri, settings)
        try:
            await seed_demo(mongo.db, demo_steps(settings), force=args.force)
        finally:
            await mongo.close()

    with database_uri(settings) as uri:
        asyncio.run(_seed(uri))
    console_err.print(f"demo data loaded into database '{settings.db}'")
    return 0
