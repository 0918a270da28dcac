"""The payments subgraph's periodic work: the provider secrets made at start, carrying on
unfinished payments and refunds, and forgetting old provider notifications."""

import logging

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.sandbox import is_sandbox
from schema.kernel.time import utcnow
from schema.payments import worklist
from schema.payments.collections import NOTIFICATIONS, PAYMENTS
from schema.payments.lifecycle import carry_on
from schema.payments.notifications import provider_secret
from schema.payments.providers import PROVIDERS
from schema.payments.refunds import complete_refund

_log = logging.getLogger("loopgate.payments")
_secured: set[str] = set()


async def ensure_provider_secrets(db: AsyncDatabase) -> int:
    """Generate the providers' signing secrets in the live database on the server's first
    round (``loopgate sandbox pay`` reads them there); later rounds cost nothing."""
    if is_sandbox(db) or db.name in _secured:
        return 0
    for name in PROVIDERS:
        await provider_secret(db, name)
    _secured.add(db.name)
    return 0


async def work_open(db: AsyncDatabase) -> int:
    """Carry on every due entry of the work list (:mod:`schema.payments.worklist`); returns
    how many were handled. One that fails is logged and tried again a minute later."""
    handled = 0
    for entry in await worklist.due(db):
        payment = await db[PAYMENTS].find_one({"_id": entry["paymentId"]})
        try:
            if payment is None:
                await worklist.close_work(db, entry["_id"])
            elif entry["_id"] == payment["_id"]:
                await carry_on(db, payment)
            else:
                await complete_refund(db, payment, entry["_id"])
            handled += 1
        except Exception:
            _log.exception("payment %s: could not carry on; retrying later",
                           entry["paymentId"])
            await worklist.postpone(db, entry["_id"])
    return handled


async def sweep_notifications(db: AsyncDatabase) -> int:
    """Forget notifications past their retention (older ones are refused as stale)."""
    found = await db[NOTIFICATIONS].delete_many({"expiresAt": {"$lt": utcnow()}})
    return found.deleted_count
