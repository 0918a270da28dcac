"""Bulk writes in small chunks.

FerretDB v1.24.2 (SQLite) stops answering when one ``update``/``delete`` command carries 100
or more statements (measured: 99 returns in 0.2 s, 100 never returns and wedges the server),
so every bulk write goes out in chunks well below that, one at a time (concurrent update
batches are suspected of wedging it too: a 1,000-row benchmark never returned). MongoDB is
indifferent to the chunking.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

CHUNK = 64
PARALLEL = 1


@dataclass
class BulkOutcome:
    """Per-operation failures (index into the original list → error) and upserted indexes."""

    errors: dict[int, dict[str, Any]] = field(default_factory=dict)
    upserted: set[int] = field(default_factory=set)


async def bulk_write_chunked(collection: AsyncCollection, operations: Sequence[Any],
                             *, chunk: int = CHUNK, parallel: int = PARALLEL) -> BulkOutcome:
    """Unordered bulk write of ``operations``; failures are reported per operation, not raised."""
    outcome = BulkOutcome()
    gate = asyncio.Semaphore(parallel)

    async def run(start: int) -> None:
        async with gate:
            part = operations[start:start + chunk]
            try:
                result = await collection.bulk_write(list(part), ordered=False)
                outcome.upserted.update(start + i for i in result.upserted_ids)
            except BulkWriteError as exc:
                for error in exc.details.get("writeErrors", []):
                    outcome.errors[start + error["index"]] = error
                for upsert in exc.details.get("upserted", []):
                    outcome.upserted.add(start + upsert["index"])

    await asyncio.gather(*(run(i) for i in range(0, len(operations), chunk)))
    return outcome


async def insert_missing(collection: AsyncCollection, documents: Sequence[dict[str, Any]],
                         *, chunk: int = 5000) -> int:
    """Insert documents whose ``_id`` is not there yet (idempotent seeding: inserts are cheap on
    every server, and a duplicate key just means an earlier run wrote it); returns how many
    were new."""
    inserted = 0
    for start in range(0, len(documents), chunk):
        part = list(documents[start:start + chunk])
        try:
            result = await collection.insert_many(part, ordered=False)
            inserted += len(result.inserted_ids)
        except BulkWriteError as exc:
            if any(e["code"] != 11000 for e in exc.details["writeErrors"]):
                raise
            inserted += exc.details["nInserted"]
    return inserted
