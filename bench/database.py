"""Where a benchmark runs: ``--uri`` if given, else the embedded FerretDB (started if needed,
with its ``_id`` lookups indexed, exactly as ``loopgate serve`` uses it)."""

from collections.abc import Iterator
from contextlib import contextmanager

from pymongo import AsyncMongoClient

from gateway.cli._database import database_uri
from gateway.config import Settings


@contextmanager
def bench_database_uri(uri: str | None) -> Iterator[str]:
    with database_uri(Settings(mongodb_uri=uri)) as resolved:
        yield resolved


async def server_name(client: AsyncMongoClient) -> str:
    """``FerretDB 1.24.2`` or ``MongoDB 8.0.4``: printed with every result."""
    info = await client.admin.command("buildInfo")
    if "ferretdbVersion" in info:
        return f"FerretDB {info['ferretdbVersion']}"
    return f"MongoDB {info['version']}"
