"""Rate limits on the endpoints a client authenticates to: token, introspection, revocation.

Each call first takes 1 from its remote address's allowance, then (only if that passed, so
a flood of made-up client ids from one address stops creating keys) from the presented
client id's. When the answer is ``invalid_client`` the call is charged ``failure_cost`` in
all, so guessing secrets runs out long before honest use does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from auth.callers import presented_client_id, remote_address
from auth.ratelimit import (
    EndpointLimits,
    Limit,
    RateLimiter,
    RateLimits,
    retry_after,
)
from auth.signins import SignInThrottle
from schema.kernel.buckets import BucketStore

Handler = Callable[[Request], Awaitable[Response]]
RATE_LIMITED_ERROR = "temporarily_unavailable"
logger = logging.getLogger(__name__)


def rate_limited(seconds: float) -> JSONResponse:
    """HTTP 429 with ``Retry-After`` and an RFC 6749 §5.2-shaped body.

    RFC 6749 defines no error code for rate limiting. ``temporarily_unavailable`` is the
    registered code (RFC 6749 §4.1.2.1) whose meaning, "cannot handle the request now, try
    later", is this one, and OAuth client libraries already treat it as retryable; a
    custom ``rate_limited`` would be unknown to every client, and ``slow_down`` (RFC 8628)
    tells device-flow clients to poll 5 s slower, a flow Loopgate does not offer. The 429
    status and ``Retry-After`` say the rest.
    """
    wait = retry_after(seconds)
    return JSONResponse(
        {"error": RATE_LIMITED_ERROR,
         "error_description": f"too many requests; retry after {wait} seconds"},
        status_code=429,
        headers={"Retry-After": str(wait), "Cache-Control": "no-store", "Pragma": "no-cache"})


def _client_authentication_failed(response: Response) -> bool:
    if response.status_code not in (400, 401):
        return False
    try:
        return json.loads(bytes(response.body)).get("error") == "invalid_client"
    except (ValueError, AttributeError):
        return False


class EndpointThrottle:
    """The per-address and per-client limits of one endpoint, wrapped around its handler."""

    def __init__(self, limiter: RateLimiter, endpoint: str, limits: EndpointLimits) -> None:
        self._limiter = limiter
        self._endpoint = endpoint
        self._per_ip = Limit(f"{endpoint}:ip", limits.per_ip)
        self._per_client = Limit(f"{endpoint}:client", limits.per_client)
        self._failure_extra = limits.failure_cost - 1

    def guard(self, handler: Handler) -> Handler:
        async def handle(request: Request) -> Response:
            address = remote_address(request)
            client_id = await presented_client_id(request)
            if (wait := await self._admit(address, client_id)) is not None:
                return rate_limited(wait)
            response = await handler(request)
            if self._failure_extra and _client_authentication_failed(response):
                await self._limiter.penalize(self._per_ip, address, self._failure_extra)
                if client_id is not None:
                    await self._limiter.penalize(self._per_client, client_id,
                                                 self._failure_extra)
            return response
        return handle

    async def _admit(self, address: str, client_id: str | None) -> float | None:
        if (wait := await self._limiter.hit(self._per_ip, address)) is not None:
            self._log(f"from {address}", wait)
        elif client_id and (wait := await self._limiter.hit(self._per_client,
                                                            client_id)) is not None:
            self._log(f"for client {client_id!r}", wait)
        return wait

    def _log(self, who: str, wait: float) -> None:
        """One line a minute per refused address or client id, never one per request."""
        if self._limiter.first_refusal(f"{self._endpoint} {who}"):
            logger.warning("rate limit: %s refused %s for %.0f s (logged once a minute)",
                           self._endpoint, who, wait)


class Throttles:
    """Every rate limit of the OAuth server: buckets in ``store`` (shared by the processes
    on one database) or, without one, in this process's memory."""

    def __init__(self, limits: RateLimits, store: BucketStore | None = None) -> None:
        self.limiter = RateLimiter(store)
        self.token = EndpointThrottle(self.limiter, "token", limits.token)
        self.introspection = EndpointThrottle(self.limiter, "introspection",
                                              limits.introspection)
        self.revocation = EndpointThrottle(self.limiter, "revocation", limits.revocation)
        self.sign_in = SignInThrottle(self.limiter, limits.sign_in)
