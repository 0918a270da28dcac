"""Idempotency keys for stock and price mutations (DESIGN.md §5).

Keys are scoped per partner and operation and kept :data:`RETENTION` (7 days) after first
use; :func:`sweep_expired` removes older ones (no TTL indexes on FerretDB). A replay with the
same body returns the first result; a different body is ``IDEMPOTENCY_KEY_REUSED``; a replay
while the first call still runs is ``CONFLICT``. A call that fails or is refused as a whole
releases its key, since nothing was written.
"""

import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.catalog.collections import IDEMPOTENCY
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.time import utcnow

RETENTION = timedelta(days=7)
Result = dict[str, Any]


class Refused(Exception):
    """Raised by an operation that refuses the whole request: its key is released."""

    def __init__(self, result: Result) -> None:
        super().__init__("request refused")
        self.result = result


def body_hash(body: Any) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _refusal(code: UserErrorCode, message: str) -> UserError:
    return UserError(code, message, ("input", "idempotencyKey"))


async def run_once(db: AsyncDatabase, partner_id: str, operation: str, key: str, body: Any,
                   run: Callable[[], Awaitable[Result]],
                   refuse: Callable[[UserError], Result]) -> Result:
    """Run ``run`` once per (partner, operation, key); replays get the stored result."""
    key_id = f"idem:{partner_id}:{operation}:{key}"
    digest = body_hash(body)
    now = utcnow()
    try:
        await db[IDEMPOTENCY].insert_one({"_id": key_id, "bodyHash": digest, "state": "running",
                                          "createdAt": now, "expiresAt": now + RETENTION})
    except DuplicateKeyError:
        return await _replay(db, key_id, digest, refuse)
    try:
        result = await run()
    except Refused as refused:
        await db[IDEMPOTENCY].delete_one({"_id": key_id})
        return refused.result
    except BaseException:
        await db[IDEMPOTENCY].delete_one({"_id": key_id})
        raise
    await db[IDEMPOTENCY].update_one({"_id": key_id},
                                     {"$set": {"state": "done", "result": result}})
    return result


async def _replay(db: AsyncDatabase, key_id: str, digest: str,
                  refuse: Callable[[UserError], Result]) -> Result:
    stored = await db[IDEMPOTENCY].find_one({"_id": key_id})
    if stored is None:
        return refuse(_refusal(UserErrorCode.CONFLICT, "the key was just released; retry"))
    if stored["bodyHash"] != digest:
        return refuse(_refusal(UserErrorCode.IDEMPOTENCY_KEY_REUSED,
                               "this idempotency key was used with a different request"))
    if stored["state"] != "done":
        return refuse(_refusal(UserErrorCode.CONFLICT,
                               "a request with this idempotency key is still running"))
    return stored["result"]


async def sweep_expired(db: AsyncDatabase) -> int:
    """Delete keys past their retention; returns how many were removed."""
    result = await db[IDEMPOTENCY].delete_many({"expiresAt": {"$lt": utcnow()}})
    return result.deleted_count
