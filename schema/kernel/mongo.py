"""MongoDB access through PyMongo's async API (``AsyncMongoClient``); Motor is not used.

One client per process, opened at start-up and closed at shutdown. Every query must run on
both MongoDB and FerretDB v1 (DESIGN.md §8), so this module also turns the driver's
connection failures into one readable :class:`DatabaseUnavailable`. Importing it installs the
one workaround PyMongo's async pool needs on Python 3.11 (:mod:`schema.kernel.pool_wait`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError

from schema.kernel import pool_wait

pool_wait.install()

Document = dict[str, object]


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be used; the message says why, in one line."""


def redact_uri(uri: str) -> str:
    """The URI without its password, for messages and logs."""
    scheme, sep, rest = uri.partition("://")
    if not sep or "@" not in rest:
        return uri
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


@dataclass
class Mongo:
    """An open client and the Loopgate database on it."""

    client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    uri: str

    @classmethod
    def open(cls, uri: str, db_name: str, *, timeout_ms: int = 5000) -> Mongo:
        """Create the client (no I/O yet); a malformed URI fails here with a clear message."""
        try:
            client: AsyncMongoClient[Document] = AsyncMongoClient(
                uri,
                serverSelectionTimeoutMS=timeout_ms,
                connectTimeoutMS=timeout_ms,
                tz_aware=True,
                appname="loopgate",
            )
        except (InvalidURI, ConfigurationError, ValueError, TypeError) as exc:
            raise DatabaseUnavailable(
                f"LOOPGATE_MONGODB_URI is not a valid MongoDB URI ({redact_uri(uri)}): {exc}"
            ) from exc
        return cls(client=client, db=client[db_name], uri=uri)

    async def ping(self) -> None:
        """Round-trip to the server; raises DatabaseUnavailable with the reason."""
        try:
            await self.client.admin.command("ping")
        except PyMongoError as exc:
            reason = str(exc).split(", Timeout:")[0].split(" (configured timeouts")[0]
            raise DatabaseUnavailable(
                f"cannot reach MongoDB at {redact_uri(self.uri)}: {reason}"
            ) from exc

    async def close(self) -> None:
        await self.client.close()
