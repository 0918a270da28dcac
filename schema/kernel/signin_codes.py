"""One-time sign-in codes: how a member registered by a merchant first sets a password.

``registerMember`` (membership) issues a code and ``/oauth/set-password`` (auth) spends it, so
the code lives here, between the two (DESIGN.md §3: both depend on the kernel). There is no
SMS: the code goes to the server log (logger ``loopgate.members``) and to
``loopgate members login-code PHONE``, which issues a fresh one.

A code is 8 random digits, valid 24 hours, one per member (a new code replaces the earlier
one), stored only as a salted scrypt hash in ``member_signin_codes`` under
``signin:<E.164 phone>``. 10^8 codes would fall to a fast hash in seconds from a database
dump; scrypt makes that days. Each issue gets its own ``issueId``; what happens to it is
recorded by unique inserts beside it (FerretDB updates are not atomic, DESIGN.md §8):

* ``signin-spent:<issueId>`` — the code was used, or voided by too many wrong tries. Whoever
  inserts it first wins, so two concurrent right answers give the member to one of them.
* ``signin-miss:<issueId>:<n>`` — the n-th wrong try (n = 1 … :data:`MAX_WRONG_TRIES`); the
  last one voids the code.

These markers live in the same collection and expire with their code, so a marker outlives
every use of it (the kernel's ``claims`` are swept after an hour, before a code expires).
:func:`sweep_signin_codes` deletes what has expired; the membership subgraph runs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.ids import parse_id
from schema.kernel.indexes import IndexSpec
from schema.kernel.phones import mask_phone
from schema.kernel.time import as_utc, utcnow

SIGNIN_CODES = "member_signin_codes"
CODE_DIGITS = 8
CODE_LIFETIME = timedelta(hours=24)
MAX_WRONG_TRIES = 5
INDEXES: tuple[IndexSpec, ...] = (IndexSpec.on(SIGNIN_CODES, "expiresAt"),)

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_UNKNOWN_SALT = secrets.token_bytes(16)
logger = logging.getLogger("loopgate.members")


def _key(phone: str) -> str:
    return f"signin:{phone}"


def _hash(code: str, salt: bytes) -> str:
    return hashlib.scrypt(code.encode(), salt=salt, **_SCRYPT).hex()


async def issue_signin_code(db: AsyncDatabase, member_id: str, phone: str) -> str:
    """A fresh code for ``member_id`` (``phone`` in E.164), replacing any earlier one; logged
    at INFO on ``loopgate.members``, as the member has no other way to receive it."""
    parse_id(member_id, "mem")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_bytes(16)
    now = utcnow()
    await db[SIGNIN_CODES].replace_one({"_id": _key(phone)}, {
        "memberId": member_id, "issueId": secrets.token_hex(16), "salt": salt.hex(),
        "codeHash": await asyncio.to_thread(_hash, code, salt), "createdAt": now,
        "expiresAt": now + CODE_LIFETIME}, upsert=True)
    logger.info("sign-in code for %s: %s", mask_phone(phone), code)
    return code


async def consume_signin_code(db: AsyncDatabase, phone: str, code: str) -> str | None:
    """The member id when ``code`` is the current, unexpired, unspent code for ``phone``
    (which is then spent); None otherwise. A wrong code counts against the code: after
    :data:`MAX_WRONG_TRIES` it is void."""
    doc = await db[SIGNIN_CODES].find_one({"_id": _key(phone)})
    live = doc is not None and as_utc(doc["expiresAt"]) > utcnow()
    salt = bytes.fromhex(doc["salt"]) if live and doc is not None else _UNKNOWN_SALT
    # hashed even when there is no live code, so timing does not tell which phones have one
    candidate = await asyncio.to_thread(_hash, code if isinstance(code, str) else "", salt)
    if not live or doc is None:
        return None
    if not hmac.compare_digest(candidate, doc["codeHash"]):
        await _count_miss(db, doc)
        return None
    if await _voided(db, doc["issueId"]) or not await _insert(db, _spent_marker(doc)):
        return None
    return str(doc["memberId"])


def _spent_marker(doc: dict[str, Any]) -> dict[str, Any]:
    """Spends the code: it stays in place (a newer code may replace it meanwhile, so it is
    not deleted here) until the sweep, but can never be used again."""
    return {"_id": f"signin-spent:{doc['issueId']}", "expiresAt": doc["expiresAt"]}


async def _voided(db: AsyncDatabase, issue_id: str) -> bool:
    """Whether the last allowed wrong try is recorded (its writer may have died before
    inserting the spent marker)."""
    last = f"signin-miss:{issue_id}:{MAX_WRONG_TRIES}"
    return await db[SIGNIN_CODES].find_one({"_id": last}, {"_id": 1}) is not None


async def _count_miss(db: AsyncDatabase, doc: dict[str, Any]) -> None:
    """Record one wrong try under the first free number; the last one voids the code."""
    issue_id = doc["issueId"]
    for n in range(1, MAX_WRONG_TRIES + 1):
        if await _insert(db, {"_id": f"signin-miss:{issue_id}:{n}",
                              "expiresAt": doc["expiresAt"]}):
            if n < MAX_WRONG_TRIES:
                return
            break
    await _insert(db, _spent_marker(doc))


async def _insert(db: AsyncDatabase, marker: dict[str, Any]) -> bool:
    """A unique insert: True for the one caller that made it."""
    try:
        await db[SIGNIN_CODES].insert_one(marker)
        return True
    except DuplicateKeyError:
        return False


async def sweep_signin_codes(db: AsyncDatabase) -> int:
    """Delete expired codes and their markers; returns how many documents went."""
    result = await db[SIGNIN_CODES].delete_many({"expiresAt": {"$lt": utcnow()}})
    return result.deleted_count
