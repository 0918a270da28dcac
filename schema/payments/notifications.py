"""Signed notifications from a payment provider: how the outcome of an EXTERNAL portion
arrives (POST ``/payments/notifications/<provider>``, mounted by the gateway).

The body is JSON ``{"id", "paymentId", "outcome": "SUCCEEDED" | "FAILED", "timestamp"}``
(``timestamp`` in Unix seconds) and the ``Loopgate-Provider-Signature`` header is the hex
HMAC-SHA256 of the raw body under the provider's secret. A notification is applied only
when its signature verifies, its timestamp is within :data:`TOLERANCE` of the server's clock,
its id was not applied before (a replay) and its payment exists and still waits for the
outcome; anything else is answered 4xx and changes nothing.

The sandbox provider's secret is generated when the server starts (the payments job's first
round; or by whoever needs it first) and kept in the live database (:func:`provider_secret`),
never in the repository: the server and ``loopgate sandbox pay`` share it through the
database. A payment lives in the live database or the sandbox one; payment ids are unique
across both, so the payment is looked up in each, live first.
"""

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.ids import InvalidId, parse_id
from schema.kernel.sandbox import Databases
from schema.kernel.time import utcnow
from schema.payments.collections import NOTIFICATIONS, PAYMENTS, PROVIDER_SECRETS
from schema.payments.lifecycle import complete, end, finish
from schema.payments.status import advance

SIGNATURE_HEADER = "Loopgate-Provider-Signature"
TOLERANCE = timedelta(minutes=5)
RETENTION = timedelta(days=1)
"""Notification ids are remembered this long; older timestamps are refused as stale anyway."""
OUTCOMES = frozenset(("SUCCEEDED", "FAILED"))

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answer:
    """What the endpoint answers: an HTTP status and a JSON body."""

    status: int
    body: Document


def _refused(status: int, error: str, message: str) -> Answer:
    return Answer(status, {"error": error, "message": message})


async def provider_secret(db: AsyncDatabase, provider: str) -> bytes:
    """The provider's signing secret, generated on first use (of two first users racing, the
    first insert wins and both read it)."""
    key = f"provider:{provider}"
    found = await db[PROVIDER_SECRETS].find_one({"_id": key})
    if found is None:
        with contextlib.suppress(DuplicateKeyError):
            await db[PROVIDER_SECRETS].insert_one({"_id": key, "secret": secrets.token_hex(32),
                                                   "createdAt": utcnow()})
        found = await db[PROVIDER_SECRETS].find_one({"_id": key})
        assert found is not None
    return bytes.fromhex(found["secret"])


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def notification_body(notification_id: str, payment_id: str, outcome: str,
                      timestamp: int) -> bytes:
    """A notification's raw body, as the provider (or ``loopgate sandbox pay``) sends it."""
    return orjson.dumps({"id": notification_id, "paymentId": payment_id, "outcome": outcome,
                         "timestamp": timestamp})


def _parse(body: bytes) -> Document | str:
    """The notification's fields, or what is wrong with them."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "the body is not JSON"
    if not isinstance(data, dict):
        return "the body is not a JSON object"
    if not isinstance(data.get("id"), str) or not 1 <= len(data["id"]) <= 100:
        return "id must be a string of 1 to 100 characters"
    try:
        parse_id(data.get("paymentId"), "pay")
    except InvalidId as exc:
        return f"paymentId: {exc}"
    if data.get("outcome") not in OUTCOMES:
        return "outcome must be SUCCEEDED or FAILED"
    stamp = data.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        return "timestamp must be an integer (Unix seconds)"
    return data


async def _find(databases: Databases, payment_id: str) -> tuple[AsyncDatabase,
                                                                Document] | None:
    for db in databases.each():
        found = await db[PAYMENTS].find_one({"_id": payment_id})
        if found is not None:
            return db, found
    return None


async def receive(databases: Databases, provider: str, body: bytes,
                  signature: str | None) -> Answer:
    """Check a notification and apply its outcome (see the module docstring)."""
    secret = await provider_secret(databases.live, provider)
    if not signature or not hmac.compare_digest(sign(secret, body), signature.strip().lower()):
        return _refused(401, "bad_signature", f"the {SIGNATURE_HEADER} header does not "
                        "verify: HMAC-SHA256 of the raw body under the provider secret, hex")
    data = _parse(body)
    if isinstance(data, str):
        return _refused(400, "bad_notification", data)
    skew = abs(utcnow().timestamp() - data["timestamp"])
    if skew > TOLERANCE.total_seconds():
        return _refused(400, "stale", f"the timestamp is {int(skew)} s off the server clock "
                        f"(at most {int(TOLERANCE.total_seconds())} s)")
    found = await _find(databases, data["paymentId"])
    if found is None or found[1].get("provider") != provider:
        return _refused(404, "unknown_payment", f"no {provider} payment {data['paymentId']}")
    db, payment = found
    record_id = f"{provider}:{data['id']}"
    seen = await db[NOTIFICATIONS].find_one({"_id": record_id})
    if seen is not None and seen.get("applied"):
        return _refused(409, "replayed", f"notification {data['id']} was already applied")
    if payment["status"] != "REQUIRES_PAYMENT":
        return _refused(409, "not_awaiting_payment",
                        f"payment {payment['_id']} is {payment['status']}, not waiting for an "
                        "outcome")
    await _remember(db, record_id, data)
    ended = await apply_outcome(db, payment, data["outcome"])
    await db[NOTIFICATIONS].update_one({"_id": record_id}, {"$set": {"applied": True}})
    return Answer(200, {"paymentId": payment["_id"], "status": ended["status"]})


async def _remember(db: AsyncDatabase, record_id: str, data: Document) -> None:
    """Record the notification as received; one already received by a delivery that died
    before applying it is applied now (every step is idempotent)."""
    now = utcnow()
    with contextlib.suppress(DuplicateKeyError):
        await db[NOTIFICATIONS].insert_one({"_id": record_id, "paymentId": data["paymentId"],
                                            "outcome": data["outcome"], "applied": False,
                                            "receivedAt": now, "expiresAt": now + RETENTION})


async def apply_outcome(db: AsyncDatabase, payment: Document, outcome: str) -> Document:
    """Apply a provider's outcome to a payment waiting for it; the payment as it ends."""
    if outcome == "FAILED":
        ended = await end(db, payment["_id"], "FAILED", "the provider reported a failure")
        return await finish(db, ended.payment)
    paid = await advance(db, payment["_id"], "PROCESSING")
    return await complete(db, paid.payment)
