"""Which database a command uses: ``LOOPGATE_MONGODB_URI``, or the embedded FerretDB."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import CliError, console_err
from gateway.config import Settings
from gateway.embedded import server
from gateway.embedded.build import BuildError
from gateway.embedded.id_index import IdIndexKeeper
from schema.kernel.mongo import DatabaseUnavailable, Mongo

T = TypeVar("T")


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mongodb-uri", help="MongoDB URI (default: $LOOPGATE_MONGODB_URI, "
                        "else the embedded FerretDB)")
    parser.add_argument("--db", help="database name (default: $LOOPGATE_DB or 'loopgate')")


def settings_from(args: argparse.Namespace) -> Settings:
    """Environment settings with CLI flags laid over them."""
    overrides = {key: value for key in ("mongodb_uri", "db", "host", "port", "issuer")
                 if (value := getattr(args, key, None)) is not None}
    return Settings(**overrides)


@contextmanager
def database_uri(settings: Settings) -> Iterator[str]:
    """The URI to use; with none configured, reuse or start the embedded FerretDB.

    An instance started here is stopped when the block ends; one that was already running
    (``loopgate db start``) is left running. Either way its ``_id`` lookups are kept
    indexed while the block runs (:mod:`gateway.embedded.id_index`).
    """
    if settings.mongodb_uri:
        yield settings.mongodb_uri
        return
    running = server.status(settings.state_dir)
    if running is not None:
        console_err.print(f"using the running embedded FerretDB on {running.uri}")
        with IdIndexKeeper(running.data_dir):
            yield running.uri
        return
    try:
        with console_err.status("starting the embedded FerretDB…") as status:
            running = server.start(settings.state_dir, settings.cache_dir,
                                   port=settings.embedded_port,
                                   progress=lambda line: status.update(line[:100]))
    except (BuildError, server.EmbeddedDbError) as exc:
        raise CliError(str(exc)) from exc
    console_err.print(f"embedded FerretDB on {running.uri} (data in {settings.state_dir})")
    try:
        with IdIndexKeeper(running.data_dir):
            yield running.uri
    finally:
        server.stop(settings.state_dir)
        console_err.print("stopped the embedded FerretDB")


async def connect(uri: str, settings: Settings) -> Mongo:
    """Open and ping the database, or fail with one readable line."""
    try:
        mongo = Mongo.open(uri, settings.db, timeout_ms=settings.mongodb_timeout_ms)
        await mongo.ping()
    except DatabaseUnavailable as exc:
        raise CliError(str(exc)) from exc
    return mongo


def with_database(args: argparse.Namespace,
                  work: Callable[[AsyncDatabase], Awaitable[T]]) -> T:
    """Run ``work`` on the command's database (started and stopped around it if embedded)."""
    settings = settings_from(args)

    async def _run(uri: str) -> T:
        mongo = await connect(uri, settings)
        try:
            return await work(mongo.db)
        finally:
            await mongo.close()

    with database_uri(settings) as uri:
        return asyncio.run(_run(uri))
