"""Writing apps' safelists: what ``loopgate persisted push|list|remove`` do.

The caller passes the database the app acts in (live, or the sandbox for a sandbox app). Only
the operator writes these documents, one command at a time, so plain upserts by ``_id`` are
enough (no revision claim, DESIGN.md §8): the flag is one field whose last write is the
intended one. Pushing an operation again under its id first removes the ids its previous body
answered to, so a changed body never leaves its old text reachable.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from gateway.persisted.manifest import SafelistOperation
from gateway.persisted.safelist import APPS, SAFELIST, entry_id
from schema.kernel.bulk import bulk_write_chunked
from schema.kernel.time import utcnow


@dataclass(frozen=True, slots=True)
class Listed:
    """A safelisted operation as ``list`` shows it."""

    op_id: str
    name: str | None
    type: str
    body: str


@dataclass(frozen=True, slots=True)
class PushResult:
    added: int
    replaced: int
    unchanged: int
    safelist_only: bool


async def push(db: AsyncDatabase, client_id: str, operations: Sequence[SafelistOperation],
               safelist_only: bool | None = None) -> PushResult:
    """Add ``operations`` to the app's safelist (replacing any under the same id) and set
    the flag when given; the app's other operations stay."""
    current = {item.op_id: item.body for item in await listed(db, client_id)}
    changed = [op for op in operations if current.get(op.id) != op.body]
    replaced = [op.id for op in changed if op.id in current]
    if replaced:
        await db[SAFELIST].delete_many({"clientId": client_id, "opId": {"$in": replaced}})
    now = utcnow()
    writes = [ReplaceOne({"_id": entry_id(client_id, key)},
                         {"clientId": client_id, "opId": op.id, "key": key,
                          "primary": key == op.id, "body": op.body,
                          "canonical": op.operation.canonical_hash, "name": op.name,
                          "type": op.type, "pushedAt": now}, upsert=True)
              for op in changed for key in op.keys]
    outcome = await bulk_write_chunked(db[SAFELIST], writes)
    if outcome.errors:
        raise RuntimeError(f"{len(outcome.errors)} safelist writes failed, e.g. "
                           f"{next(iter(outcome.errors.values()))}: push again")
    flag = await _set_flag(db, client_id, safelist_only)
    return PushResult(len(changed) - len(replaced), len(replaced),
                      len(operations) - len(changed), flag)


async def set_safelist_only(db: AsyncDatabase, client_id: str, safelist_only: bool) -> None:
    await _set_flag(db, client_id, safelist_only)


async def _set_flag(db: AsyncDatabase, client_id: str, safelist_only: bool | None) -> bool:
    """Create the app's document (so its safelist is found) and set the flag if given."""
    apps = db[APPS]
    doc = await apps.find_one({"_id": client_id})
    flag = bool(doc and doc.get("safelistOnly")) if safelist_only is None else safelist_only
    await apps.replace_one({"_id": client_id},
                           {"safelistOnly": flag, "updatedAt": utcnow()}, upsert=True)
    return flag


async def safelist_only(db: AsyncDatabase, client_id: str) -> bool | None:
    """The app's flag, None when it has no safelist document."""
    doc = await db[APPS].find_one({"_id": client_id})
    return None if doc is None else bool(doc.get("safelistOnly"))


async def listed(db: AsyncDatabase, client_id: str) -> list[Listed]:
    """The app's safelisted operations, by name then id."""
    cursor = db[SAFELIST].find({"clientId": client_id, "primary": True})
    items = [Listed(doc["opId"], doc.get("name"), doc.get("type", "query"), doc["body"])
             async for doc in cursor]
    return sorted(items, key=lambda item: (item.name or "", item.op_id))


async def remove(db: AsyncDatabase, client_id: str, refs: Sequence[str]) -> list[Listed]:
    """Remove the operations named by id or operation name (all of them when ``refs`` is
    empty); returns the removed ones. A ref matching nothing is refused before anything
    is removed."""
    items = await listed(db, client_id)
    if refs:
        unknown = [ref for ref in refs if not any(ref in (i.op_id, i.name) for i in items)]
        if unknown:
            raise LookupError(f"the app has no safelisted operation with id or name "
                              f"{', '.join(repr(u) for u in unknown)}")
        items = [i for i in items if i.op_id in refs or i.name in refs]
    if items:
        await db[SAFELIST].delete_many({"clientId": client_id,
                                        "opId": {"$in": [i.op_id for i in items]}})
    return items
