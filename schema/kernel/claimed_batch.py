""":func:`schema.kernel.claims.update_claimed` for many documents at once.

A worker that finishes a chunk of work writes one document per item (a delivery's outcome,
say). One claimed write costs a read, a claim insert and a replace, each a round trip; for a
chunk that is three per document. Here the reads are point reads in parallel, the claims one
bulk insert and the replaces one bulk write: the same protocol (only a claim's winner writes
its revision, within ``WRITE_WITHIN``), so it is exactly as safe. A document whose claim is
lost (another writer got there first) is written again the one-by-one way.
"""

from collections.abc import Callable, Sequence
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.claims import claim_many, update_claimed, write_expired
from schema.kernel.reads import get_many
from schema.kernel.time import utcnow

Document = dict[str, Any]
Change = Callable[[Document | None], Document | None]


async def update_claimed_many(collection: AsyncCollection, db: AsyncDatabase,
                              changes: Sequence[tuple[str, Change]]) -> list[Document | None]:
    """Apply each ``(document id, change)`` as :func:`update_claimed` would (ids distinct);
    returns what was written for each (None: left as it was)."""
    ids = [document_id for document_id, _ in changes]
    if len(set(ids)) != len(ids):
        raise ValueError("update_claimed_many takes each document once")
    current = await get_many(collection, ids)
    planned: list[tuple[int, Document]] = []
    for index, ((document_id, change), found) in enumerate(zip(changes, current, strict=True)):
        wanted = change(found)
        if wanted is not None:
            revision = (found or {}).get("rev", 0) + 1
            planned.append((index, {**wanted, "_id": document_id, "rev": revision}))
    written: list[Document | None] = [None] * len(changes)
    claimed_at = utcnow()
    won = await claim_many(db, [f"{collection.name}:{d['_id']}:{d['rev']}" for _, d in planned])
    winners = [(i, d) for (i, d), ok in zip(planned, won, strict=True) if ok]
    late = write_expired(claimed_at)
    if not late:
        await bulk_write_chunked(collection, [ReplaceOne({"_id": d["_id"]}, d, upsert=True)
                                              for _, d in winners])
        for index, document in winners:
            written[index] = document
    retry = [i for i, _ in planned if written[i] is None]
    for index in retry:
        document_id, change = changes[index]
        written[index] = await update_claimed(collection, db, document_id, change)
    return written
