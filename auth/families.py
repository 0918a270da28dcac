"""The transitions of a token family document, written only under a revision claim.

A family (``oauth_token_families``) is written by two parties that can meet: the request
that records an access token it just issued, and a request that revokes the family because
a code or refresh token was reused. FerretDB applies updates as unlocked read-modify-writes,
so a ``$push`` and a ``$set`` racing on one document can drop either one, leaving a revoked
family live again or a token out of reach of its revocation. Both therefore go through
:func:`schema.kernel.claims.update_claimed`, which orders them; whichever comes second sees
the first. A revocation of a family not yet written leaves a revoked *tombstone*, so a token
issued a moment later from the reused code is revoked as soon as it is recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

Document = dict[str, Any]


def with_access_token(doc: Document | None, *, jti: str, client_id: str, member_id: str,
                      now: datetime, lifetime: timedelta) -> Document:
    """``doc`` with ``jti`` recorded and its expiry pushed out to ``now + lifetime``."""
    current = doc or {"createdAt": now, "revokedAt": None, "accessJtis": []}
    return {**current, "clientId": current.get("clientId", client_id),
            "memberId": current.get("memberId", member_id),
            "accessJtis": [*current.get("accessJtis", ()), jti],
            "expiresAt": now + lifetime}


def revoked(doc: Document | None, *, now: datetime, lifetime: timedelta) -> Document | None:
    """``doc`` marked revoked at ``now``; None when it already was (nothing to write)."""
    if doc is None:
        return {"createdAt": now, "revokedAt": now, "accessJtis": [],
                "expiresAt": now + lifetime}
    if doc.get("revokedAt") is not None:
        return None
    return {**doc, "revokedAt": now}


def is_revoked(doc: Document) -> bool:
    return doc.get("revokedAt") is not None
