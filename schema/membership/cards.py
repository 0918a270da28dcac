"""E-membership card codes: a compact signed token naming the member, valid 60 seconds.

A member's app shows the code as a QR code; a store's staff scans it (``memberByCard``). A
screenshot stops working a minute later, and nothing in the code can be changed without the
signature failing. Layout (33 bytes, RFC 4648 base32 without padding: 53 characters of the QR
alphanumeric set)::

    version (1) | key id (2) | member id's ULID (16) | expiry, Unix seconds (4) | HMAC (10)

The HMAC is HMAC-SHA256 with the key named by the key id (:mod:`schema.membership.card_keys`)
over everything before it, truncated to 80 bits: a forger gets one online guess per scan, so
2^-80 per guess is ample, and a full tag would not fit a small QR code.
"""

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from ulid import ULID

from schema.kernel.time import utcnow
from schema.membership.card_keys import signing_key, verifying_key

VALID_FOR = timedelta(seconds=60)
VERSION = 1
TAG_BYTES = 10
_HEAD = struct.Struct(">BH16sI")


@dataclass(frozen=True, slots=True)
class CardCode:
    code: str
    expires_at: datetime


class InvalidCardCode(ValueError):
    """Tampered, expired, malformed, or signed by a key that is not kept."""


def _tag(secret: bytes, head: bytes) -> bytes:
    return hmac.new(secret, head, hashlib.sha256).digest()[:TAG_BYTES]


async def issue_card_code(db: AsyncDatabase, member_id: str) -> CardCode:
    """A fresh code for ``member_id`` (a ``mem_`` id), valid :data:`VALID_FOR`."""
    key = await signing_key(db)
    expires = int((utcnow() + VALID_FOR).timestamp())
    head = _HEAD.pack(VERSION, key.kid, ULID.from_str(member_id[4:]).bytes, expires)
    code = base64.b32encode(head + _tag(key.secret, head)).decode().rstrip("=")
    return CardCode(code, datetime.fromtimestamp(expires, UTC))


async def member_of_card(db: AsyncDatabase, code: object) -> str:
    """The member id a valid code names, else :class:`InvalidCardCode`."""
    raw = _decode(code)
    head, tag = raw[:_HEAD.size], raw[_HEAD.size:]
    version, kid, member, expires = _HEAD.unpack(head)
    if version != VERSION:
        raise InvalidCardCode("unknown card code version")
    key = await verifying_key(db, kid)
    if key is None or not hmac.compare_digest(tag, _tag(key.secret, head)):
        raise InvalidCardCode("the card code's signature does not verify")
    if expires <= utcnow().timestamp():
        raise InvalidCardCode("the card code has expired: ask the member to refresh it")
    return f"mem_{ULID.from_bytes(member)}"


def _decode(code: object) -> bytes:
    if not isinstance(code, str) or not 0 < len(code) <= 64:
        raise InvalidCardCode("not a card code")
    try:
        raw = base64.b32decode(code.upper() + "=" * (-len(code) % 8))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCardCode("not a card code") from exc
    if len(raw) != _HEAD.size + TAG_BYTES:
        raise InvalidCardCode("not a card code")
    return raw
