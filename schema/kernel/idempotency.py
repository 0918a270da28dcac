"""Idempotency keys (DESIGN.md §5), bound to one operation before anything moves.

Every mutation that moves money, points or stock takes an ``idempotencyKey``. Keys are
scoped per partner and operation name and kept :data:`RETENTION` (7 days) after first use;
:func:`sweep_expired` removes older ones (no TTL indexes on FerretDB).

The first call inserts the key (a unique insert, atomic on every server) together with a
fresh *operation id* and only then runs the operation, passing it that id. Operations that
move value name their writes by it (the kernel's ledger applies an operation id once), so:

- a replay with the same body gets the first result; with a different body,
  ``IDEMPOTENCY_KEY_REUSED``;
- a replay while the first call still runs is a retryable ``CONFLICT``;
- a replay after the first call failed (an exception: a lost connection, a crash of the
  process, which leaves the key *running* past :data:`RUN_LEASE`) runs the operation again
  **with the same operation id**, so it completes that same operation or reports it, and never
  moves anything twice. Such a key is never released: it may stand for value that moved.

A write that stayed contended for its whole wait (:class:`schema.kernel.claims.Contended`)
is answered as a retryable ``CONFLICT`` (never an internal error), and its key too is kept
for a retry of the same operation.

Only :class:`Refused`, raised by an operation that refuses the whole request before writing
anything, releases its key (the catalogue's batch-level refusals). Money operations return
their business refusals as results instead, so a retry gets the same answer.
"""

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.claims import Contended, claim
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import new_id
from schema.kernel.indexes import IndexSpec
from schema.kernel.time import utcnow

IDEMPOTENCY = "idempotency_keys"
RETENTION = timedelta(days=7)
RUN_LEASE = timedelta(seconds=60)
"""A key still *running* this long after its attempt started belongs to a dead process."""
INDEXES: tuple[IndexSpec, ...] = (IndexSpec.on(IDEMPOTENCY, "expiresAt"),)

Result = dict[str, Any]
Run = Callable[[str], Awaitable[Result]]
Refuse = Callable[[UserError], Result]


class Refused(Exception):
    """Raised by an operation that refused the whole request and wrote nothing: its key is
    released, so the partner may send a corrected request with the same key."""

    def __init__(self, result: Result) -> None:
        super().__init__("request refused")
        self.result = result


def body_hash(body: Any) -> str:
    """A digest of the request body, to tell a replay from a reuse of the key."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _refusal(code: UserErrorCode, message: str) -> UserError:
    return UserError(code, message, ("input", "idempotencyKey"))


async def run_once(db: AsyncDatabase, partner_id: str, operation: str, key: str, body: Any,
                   run: Run, refuse: Refuse) -> Result:
    """Run ``run(operation_id)`` once per (partner, operation, key); replays get its result."""
    key_id = f"idem:{partner_id}:{operation}:{key}"
    digest = body_hash(body)
    now = utcnow()
    operation_id = new_id("opn")
    try:
        await db[IDEMPOTENCY].insert_one({
            "_id": key_id, "bodyHash": digest, "state": "running", "operationId": operation_id,
            "attempt": 1, "startedAt": now, "createdAt": now, "expiresAt": now + RETENTION})
    except DuplicateKeyError:
        return await _replay(db, key_id, digest, run, refuse)
    return await _attempt(db, key_id, operation_id, run, refuse, release=True)


async def _attempt(db: AsyncDatabase, key_id: str, operation_id: str, run: Run,
                   refuse: Refuse, *, release: bool) -> Result:
    try:
        result = await run(operation_id)
    except Refused as refused:
        if release:
            await db[IDEMPOTENCY].delete_one({"_id": key_id})
            return refused.result
        await _finish(db, key_id, refused.result)
        return refused.result
    except Contended:
        await db[IDEMPOTENCY].update_one({"_id": key_id}, {"$set": {"state": "failed"}})
        return refuse(_refusal(UserErrorCode.CONFLICT, "a record this request changes is busy "
                               "with other requests: retry with the same key"))
    except BaseException:
        await db[IDEMPOTENCY].update_one({"_id": key_id}, {"$set": {"state": "failed"}})
        raise
    await _finish(db, key_id, result)
    return result


async def _finish(db: AsyncDatabase, key_id: str, result: Result) -> None:
    await db[IDEMPOTENCY].update_one({"_id": key_id},
                                     {"$set": {"state": "done", "result": result}})


async def _replay(db: AsyncDatabase, key_id: str, digest: str, run: Run,
                  refuse: Refuse) -> Result:
    stored = await db[IDEMPOTENCY].find_one({"_id": key_id})
    if stored is None:
        return refuse(_refusal(UserErrorCode.CONFLICT, "the key was just released; retry"))
    if stored["bodyHash"] != digest:
        return refuse(_refusal(UserErrorCode.IDEMPOTENCY_KEY_REUSED,
                               "this idempotency key was used with a different request"))
    if stored["state"] == "done":
        return stored["result"]
    started = stored.get("startedAt", stored["createdAt"])
    abandoned = stored["state"] == "failed" or started < utcnow() - RUN_LEASE
    attempt = stored.get("attempt", 1) + 1
    if not abandoned or not await claim(db, f"{key_id}:attempt:{attempt}"):
        return refuse(_refusal(UserErrorCode.CONFLICT,
                               "a request with this idempotency key is still running; retry"))
    await db[IDEMPOTENCY].update_one({"_id": key_id}, {"$set": {
        "state": "running", "attempt": attempt, "startedAt": utcnow()}})
    return await _attempt(db, key_id, stored.get("operationId") or new_id("opn"), run,
                          refuse, release=False)


async def sweep_expired(db: AsyncDatabase) -> int:
    """Delete keys past their retention; returns how many were removed."""
    result = await db[IDEMPOTENCY].delete_many({"expiresAt": {"$lt": utcnow()}})
    return result.deleted_count
