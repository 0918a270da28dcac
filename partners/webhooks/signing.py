"""The ``Loopgate-Signature`` header (DESIGN.md §7).

``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`` with one ``v1`` per secret
the endpoint has now: during a rotation's overlap both the new and the old secret sign, so a
receiver that still knows only the old one keeps verifying. Receivers compare in constant
time and refuse a ``t`` too far from their clock (replayed requests).
"""

import hashlib
import hmac
from collections.abc import Sequence

HEADER = "Loopgate-Signature"
TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def signature_header(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value: the time, then one signature per secret (newest first)."""
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}"
                                         for s in secrets)])


def verify(header: str, secret: str, body: bytes, now: int,
           tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver does: True when one ``v1`` is ``secret``'s signature of ``body`` and
    ``t`` is within ``tolerance_s`` of ``now``."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
