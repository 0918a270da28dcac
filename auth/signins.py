"""Rate limits on member sign-in: failed attempts per member name and per address.

Each attempt reserves one failure on both before the password is checked, and a success
gives it back: counting this way holds for concurrent attempts too (checking first and
counting after would let a burst of parallel guesses all pass the check). A success also
clears the member name's failures; the address keeps its count, so signing in to one's own
account does not buy more guesses at others.

The name is counted as typed, whether or not such a member exists, and a slowed name gets
the same answer either way. Anyone can slow a member name by failing on purpose; the
cooldown is short and only for this sign-in page (tokens and sessions go on working).
"""

from __future__ import annotations

import logging

from auth.callers import bounded_key
from auth.ratelimit import Limit, RateLimiter, SignInLimits

logger = logging.getLogger(__name__)


class SignInThrottle:
    """Admits sign-in attempts while the name and the address have failures to spare."""

    def __init__(self, limiter: RateLimiter, limits: SignInLimits) -> None:
        self._limiter = limiter
        self._per_account = Limit("sign-in:account", limits.per_account)
        self._per_ip = Limit("sign-in:ip", limits.per_ip)

    async def admit(self, username: str, address: str) -> float | None:
        """Reserve one failure for this attempt: None if allowed, else seconds to wait."""
        account = bounded_key(username)
        if (wait := await self._limiter.hit(self._per_ip, address)) is not None:
            self._log(f"from {address}", wait)
            return wait
        if (wait := await self._limiter.hit(self._per_account, account)) is not None:
            self._limiter.refund(self._per_ip, address)
            self._log(f"as {account!r}", wait)
        return wait

    def _log(self, who: str, wait: float) -> None:
        if self._limiter.first_refusal(f"sign-in {who}"):
            logger.warning("rate limit: sign-in %s refused for %.0f s (logged once a minute)",
                           who, wait)

    async def succeeded(self, username: str, address: str) -> None:
        """The attempt was right: the name's failures are forgotten, the address's refunded."""
        await self._limiter.clear(self._per_account, bounded_key(username))
        self._limiter.refund(self._per_ip, address)
