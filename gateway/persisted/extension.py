"""Reading Apollo's ``extensions.persistedQuery`` and hashing query texts.

The protocol: ``{"persistedQuery": {"version": 1, "sha256Hash": "<64 hex>"}}``, the hash
being SHA-256 of the query text exactly as sent (UTF-8), in lower-case hex. Anything else
under that key is refused as PERSISTED_QUERY_NOT_SUPPORTED before any lookup, so a malformed
id never reaches the database. An id that is not a SHA-256 hash (a safelist manifest's own
ids) is accepted here as a key of 1 to 128 printable characters; it must then name an
operation on the caller's safelist, else it is refused like any malformed hash.
"""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.persisted.errors import not_supported

VERSION = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"[!-~]{1,128}")


@dataclass(frozen=True, slots=True)
class PersistedRef:
    """The id a request names: a SHA-256 hash of its text, or a manifest's operation id."""

    key: str

    @property
    def is_sha256(self) -> bool:
        return _SHA256.fullmatch(self.key) is not None


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def is_sha256(text: str) -> bool:
    return _SHA256.fullmatch(text) is not None


def persisted_ref(extensions: Mapping[str, Any] | None) -> PersistedRef | None:
    """The persisted-query id of a request, None when it names none; malformed: refused."""
    if not extensions or "persistedQuery" not in extensions:
        return None
    value = extensions["persistedQuery"]
    if not isinstance(value, Mapping):
        raise not_supported("extensions.persistedQuery must be an object "
                            '{"version": 1, "sha256Hash": "…"}')
    version = value.get("version")
    if version != VERSION or isinstance(version, bool):
        raise not_supported(f"persisted query version {version!r} is not supported: "
                            f"only version {VERSION}")
    key = value.get("sha256Hash")
    if not isinstance(key, str) or _KEY.fullmatch(key) is None:
        raise not_supported("extensions.persistedQuery.sha256Hash must be the query's "
                            "SHA-256 in 64 lower-case hex digits (or a safelisted "
                            "operation's id)")
    return PersistedRef(key)
