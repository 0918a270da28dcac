"""Bulk writes that FerretDB v1.24.2 survives, with failures reported per operation.

Three measured FerretDB behaviours shape this module (each is pinned by
tests/kernel/test_ferretdb_quirks.py, so an upgrade that fixes one says so):

- **Update statements hold connections.** Each statement of an ``update`` command keeps its
  SQLite read connection until the whole command returns (handler/msg_update.go defers the
  iterator close to the end of the command), and the pool has 100 connections
  (backends/sqlite/metadata/pool/opendb.go, ``SetMaxOpenConns(100)``). A command of 99
  statements returns in 0.15 s; one of 100 never does and the server stays wedged, as it
  does when concurrent commands together hold 100 (four concurrent batches of 32 wedged it,
  two did not). So every update statement in flight, across all callers on one event loop,
  takes a slot of one budget of :data:`UPDATE_SLOTS`, acquired per command for as many
  statements as it carries; that leaves room for the single-statement updates other code
  sends concurrently. The budget cannot see other processes writing to the same server.
  Deletes close their read per statement (150 in one command return) and
  inserts do not read, so they take no slots.
- **A failing update statement aborts its command.** The statements before it are applied,
  those after it are not (``ordered`` is ignored), and the reply is only
  ``{ok, writeErrors: [{index: 0, …}]}``: no ``n``, no ``nModified`` (hence PyMongo's
  ``KeyError: 'nModified'``) and the wrong index. So a failed batch cannot say which
  operation failed. When replaying the batch is harmless (see :func:`_replayable`) it is
  replayed one statement per command, in order, which applies the missing tail and reports
  the exact failure; otherwise, on FerretDB, updates go one statement per command from the
  start.
- **Updates are not atomic** (concurrent ``$inc`` on one document lose increments), so the
  single statements of one chunk go one after another, never concurrently.

Each chunk is split by kind, inserts then updates then deletes, as PyMongo does for an
unordered bulk write, so a failed update command cannot hide the outcome of the inserts.
MongoDB never takes the fallback paths; there the chunking and the budget cost little.
"""

import asyncio
import weakref
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, WriteError

from schema.kernel.server import on_ferretdb

CHUNK = 64
PARALLEL = 1
UPDATE_SLOTS = 64

_UPDATES = (UpdateOne, UpdateMany, ReplaceOne)
_DELETES = (DeleteOne, DeleteMany)
_SETTING_OPERATORS = frozenset({"$set", "$unset", "$min", "$max", "$addToSet", "$pull", "$pullAll"})

Indexed = list[tuple[int, Any]]


@dataclass
class BulkOutcome:
    """Per-operation failures (index into the original list → error) and upserted indexes."""

    errors: dict[int, dict[str, Any]] = field(default_factory=dict)
    upserted: set[int] = field(default_factory=set)


class StatementBudget:
    """A first-come, first-served count of statement slots (an asyncio.Semaphore that takes
    several at once without letting small requests starve a big one)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.free = capacity
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    @asynccontextmanager
    async def hold(self, count: int) -> AsyncIterator[None]:
        if not 0 < count <= self.capacity:
            raise ValueError(f"cannot hold {count} of {self.capacity} statement slots")
        if not self._waiting and self.free >= count:
            self.free -= count
        else:
            await self._wait(count)
        try:
            yield
        finally:
            self._release(count)

    async def _wait(self, count: int) -> None:
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (count, granted)
        self._waiting.append(entry)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release(count)  # granted just before the cancellation arrived
            else:
                if entry in self._waiting:
                    self._waiting.remove(entry)
                self._grant()
            raise

    def _release(self, count: int) -> None:
        self.free += count
        self._grant()

    def _grant(self) -> None:
        while self._waiting and self._waiting[0][0] <= self.free:
            count, granted = self._waiting.popleft()
            if not granted.cancelled():
                self.free -= count
                granted.set_result(None)


_budgets: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, StatementBudget] = (
    weakref.WeakKeyDictionary())


def update_budget() -> StatementBudget:
    """The update-statement budget of the running event loop (one per loop, process-wide)."""
    loop = asyncio.get_running_loop()
    budget = _budgets.get(loop)
    if budget is None:
        budget = _budgets[loop] = StatementBudget(UPDATE_SLOTS)
    return budget


def _replayable(operation: Any) -> bool:
    """Whether running the statement again after it was applied changes nothing: a plain
    ``{_id: value}`` filter, no upsert, and a replacement or only value-setting operators.

    PyMongo has no public accessors for an operation's parts, hence the private attributes.
    """
    if operation._upsert or set(operation._filter) != {"_id"}:
        return False
    if isinstance(operation, ReplaceOne):
        return True
    update = operation._doc
    return isinstance(update, dict) and set(update) <= _SETTING_OPERATORS


async def _write_one(collection: AsyncCollection, operation: Any) -> Any:
    """One update statement in a command of its own, whose failure PyMongo reports as a
    WriteError with the server's details."""
    if isinstance(operation, ReplaceOne):
        return await collection.replace_one(
            operation._filter, operation._doc, upsert=bool(operation._upsert),
            collation=operation._collation, hint=operation._hint, sort=operation._sort)
    if isinstance(operation, UpdateMany):
        return await collection.update_many(
            operation._filter, operation._doc, upsert=bool(operation._upsert),
            array_filters=operation._array_filters, collation=operation._collation,
            hint=operation._hint)
    return await collection.update_one(
        operation._filter, operation._doc, upsert=bool(operation._upsert),
        array_filters=operation._array_filters, collation=operation._collation,
        hint=operation._hint, sort=operation._sort)


async def _one_by_one(collection: AsyncCollection, updates: Indexed,
                      outcome: BulkOutcome) -> None:
    for index, operation in updates:
        try:
            result = await _write_one(collection, operation)
        except WriteError as exc:
            outcome.errors[index] = {**(exc.details or {}), "index": index}
            continue
        if result.upserted_id is not None:
            outcome.upserted.add(index)


async def _batch(collection: AsyncCollection, part: Indexed, outcome: BulkOutcome) -> None:
    """One command for ``part``; a KeyError is FerretDB's countless update-error reply."""
    try:
        result = await collection.bulk_write([op for _, op in part], ordered=False)
    except BulkWriteError as exc:
        for error in exc.details.get("writeErrors", []):
            index = part[error["index"]][0]
            outcome.errors[index] = {**error, "index": index}
        for upsert in exc.details.get("upserted", []):
            outcome.upserted.add(part[upsert["index"]][0])
        return
    outcome.upserted.update(part[i][0] for i in result.upserted_ids)


async def _update(collection: AsyncCollection, updates: Indexed, outcome: BulkOutcome) -> None:
    async with update_budget().hold(len(updates)):
        replayable = all(_replayable(op) for _, op in updates)
        if not replayable and await on_ferretdb(collection):
            await _one_by_one(collection, updates, outcome)
            return
        try:
            await _batch(collection, updates, outcome)
        except KeyError as exc:
            if exc.args != ("nModified",) or not replayable:
                raise
            await _one_by_one(collection, updates, outcome)


def _split(operations: Sequence[Any], start: int) -> tuple[Indexed, Indexed, Indexed]:
    inserts: Indexed = []
    updates: Indexed = []
    deletes: Indexed = []
    for index, operation in enumerate(operations, start):
        if isinstance(operation, InsertOne):
            inserts.append((index, operation))
        elif isinstance(operation, _UPDATES):
            updates.append((index, operation))
        elif isinstance(operation, _DELETES):
            deletes.append((index, operation))
        else:
            raise TypeError(f"not a bulk write operation: {operation!r}")
    return inserts, updates, deletes


async def bulk_write_chunked(collection: AsyncCollection, operations: Sequence[Any],
                             *, chunk: int = CHUNK, parallel: int = PARALLEL) -> BulkOutcome:
    """Unordered bulk write of ``operations``; failures are reported per operation, not raised.

    ``chunk`` is capped at :data:`UPDATE_SLOTS`; ``parallel`` chunks are in flight at once,
    within the event loop's update budget. Error documents carry ``index`` into
    ``operations``.
    """
    outcome = BulkOutcome()
    size = min(chunk, UPDATE_SLOTS)
    gate = asyncio.Semaphore(parallel)

    async def run(start: int) -> None:
        inserts, updates, deletes = _split(operations[start:start + size], start)
        async with gate:
            if inserts:
                await _batch(collection, inserts, outcome)
            if updates:
                await _update(collection, updates, outcome)
            if deletes:
                await _batch(collection, deletes, outcome)

    await asyncio.gather(*(run(i) for i in range(0, len(operations), size)))
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
