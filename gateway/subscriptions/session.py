"""Who a subscription runs for, and until when: the caller's context, verified once when the
connection opens, and the expiry of the token it was opened with.

A query is authorized per request; a subscription lives on, so it must end when its token
does. The token's ``exp`` is read (after the auth layer verified the token) and the
subscription's pump (:mod:`gateway.subscriptions.pump`) ends it at that instant with an
UNAUTHENTICATED error, on a timer, whether or not an event comes; the client subscribes again
with a fresh token (``after`` the last event it saw, so nothing is missed). The token is
also verified again every ``recheck_every_s`` (:meth:`Session.recheck`), so a revoked token
or app ends its subscriptions within that time too, not only at expiry.
"""

import base64
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import HTTPConnection, Request

from auth.verify import bearer_token
from gateway.authorization.wiring import principal_of


@dataclass(frozen=True, slots=True)
class Session:
    """The caller's context (as the endpoint's ``context_for`` built it), when its token
    expires (Unix seconds; None: no token, nothing to expire), and how to verify it again
    (raises :class:`~gateway.subscriptions.errors.Refused` once it no longer verifies)."""

    context: Mapping[str, Any]
    expires_at: float | None
    recheck: Callable[[], Awaitable[None]] | None = None
    recheck_every_s: float = 30.0

    def seconds_left(self) -> float | None:
        return None if self.expires_at is None else self.expires_at - time.time()

    @property
    def expired(self) -> bool:
        left = self.seconds_left()
        return left is not None and left <= 0


def token_expiry(authorization: str | None) -> float | None:
    """The ``exp`` of the bearer token of an ``Authorization`` value the auth layer already
    verified (so its payload is read without checking it again); None without one."""
    token = bearer_token(authorization)
    if token is None:
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return float(exp) if isinstance(exp, int | float) else None


def session_of(context: Mapping[str, Any], authorization: str | None,
               recheck: Callable[[], Awaitable[None]] | None = None,
               recheck_every_s: float = 30.0) -> Session:
    """The session of a verified caller (an anonymous one has no expiry, nothing to
    verify again)."""
    if principal_of(context) is None:
        return Session(context, None)
    return Session(context, token_expiry(authorization), recheck, recheck_every_s)


def request_with(connection: HTTPConnection, authorization: str | None) -> Request:
    """An HTTP request like ``connection`` (a WebSocket's handshake) whose ``Authorization``
    header is ``authorization``: what the endpoint's ``context_for`` reads."""
    headers = [(k, v) for k, v in connection.scope.get("headers", [])
               if k.lower() != b"authorization"]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    return Request({**connection.scope, "type": "http", "method": "GET", "headers": headers})
