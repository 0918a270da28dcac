"""Rate limits of the OAuth server: their configuration and the in-memory limiter.

The counting is the ``limits`` package's sliding-window-counter strategy over its in-memory
storage: two counters per key (this window and the last), so a key costs the same however
many hits it takes, and every key expires two windows after its first hit (the storage
sweeps expired keys in a background timer 10 ms after a hit; an idle process keeps them
until its next hit). Memory is therefore bounded by the number of distinct keys hit in the
last two windows, not by how long the process runs.

A limit written ``"60/minute"`` is a burst allowance and a steady rate at once: up to 60
calls at once, then about one a second as the window slides. Several limits separated by
``;`` all apply (``"10/second;60/minute"``: bursts of 10, at most 60 a minute). Each key
costs about 400 bytes, so 100,000 keys (a flood of distinct ids) take about 40 MB and a
hit about 20 microseconds.

Each process limits on its own: with N processes behind a load balancer a caller gets up
to N times the allowance. Exact global limits would need a shared store (``limits`` also
speaks Redis and Memcached); MongoDB is not one here, since FerretDB's updates are not
atomic and it has no TTL indexes.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter


@dataclass(frozen=True, slots=True)
class EndpointLimits:
    """Limits of one client-authenticated endpoint (token, introspection, revocation).

    Every call costs 1 against the presented client id and the caller's address;
    a failed client authentication costs ``failure_cost`` in all.
    """

    per_client: str
    per_ip: str
    failure_cost: int = 10

    def __post_init__(self) -> None:
        if self.failure_cost < 1:
            raise ValueError(f"failure_cost must be at least 1, not {self.failure_cost}")
        parse_many(self.per_client)
        parse_many(self.per_ip)


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """Failed member sign-ins allowed per member name (as typed) and per address."""

    per_account: str = "5/15 minutes"
    per_ip: str = "50/15 minutes"

    def __post_init__(self) -> None:
        parse_many(self.per_account)
        parse_many(self.per_ip)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """All limits of the OAuth server; the defaults never bother a normal integration.

    A partner fetching a token every few minutes uses a few percent of ``token.per_client``;
    a resource server introspecting every request it serves has 20 a second (it should
    cache answers for a few seconds anyway). A wrong client secret costs 10, so a guesser
    gets 6 tries a minute per client id and 60 a minute per address.

    Windows are kept short on purpose: a key lives two windows, and an address may try 60
    made-up client ids a minute, so an hour-long per-client window would hold every id a
    botnet ever tried for two hours. Member names get 15 minutes, since a person waits
    that long and an address can only try 50 names in that time.
    """

    token: EndpointLimits = EndpointLimits(per_client="60/minute", per_ip="600/minute")
    introspection: EndpointLimits = EndpointLimits(per_client="1200/minute",
                                                   per_ip="2400/minute")
    revocation: EndpointLimits = EndpointLimits(per_client="120/minute", per_ip="600/minute")
    sign_in: SignInLimits = field(default_factory=SignInLimits)

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> RateLimits:
        """These limits with some fields replaced, as ``LOOPGATE_RATE_LIMITS`` gives them:
        ``{"token": {"per_client": "120/minute"}, "sign_in": {"per_ip": "100/15 minutes"}}``.
        An unknown limit or field, or a limit string that does not parse, is a ValueError."""
        changed: dict[str, Any] = {}
        for name, fields in overrides.items():
            if name not in _LIMIT_NAMES:
                raise ValueError(f"unknown rate limit {name!r} (known: {', '.join(_LIMIT_NAMES)})")
            try:
                changed[name] = dataclasses.replace(getattr(self, name), **fields)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"rate limit {name!r}: {exc}") from exc
        return dataclasses.replace(self, **changed)


_LIMIT_NAMES = ("token", "introspection", "revocation", "sign_in")


_LOG_REFUSALS = parse_many("1/minute")[0]


class Limit:
    """One configured limit string (one or more windows), applied per key."""

    def __init__(self, name: str, spec: str) -> None:
        self.name = name
        self.items: tuple[RateLimitItem, ...] = tuple(parse_many(spec))

    def __repr__(self) -> str:
        return f"Limit({self.name!r}, {'; '.join(map(str, self.items))!r})"


class RateLimiter:
    """Hits, penalties and refunds on in-memory sliding windows, keyed per (limit, key).

    Every method is synchronous and fast (dictionary updates under a per-key lock), so the
    HTTP handlers call it directly on the event loop.
    """

    def __init__(self) -> None:
        self._storage = MemoryStorage()
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)

    def hit(self, limit: Limit, key: str, cost: int = 1) -> float | None:
        """Take ``cost`` from every window of ``limit`` for ``key``.

        Returns None when allowed, else the seconds until ``cost`` would fit again (the
        windows already taken from stay taken: a refused caller still spends its allowance
        on the other windows).
        """
        for item in limit.items:
            if not self._strategy.hit(item, limit.name, key, cost=cost):
                return self._seconds_until_room(item, limit.name, key, cost)
        return None

    def penalize(self, limit: Limit, key: str, cost: int) -> None:
        """Take ``cost`` more from ``key``'s windows, as much as is left if that is less."""
        for item in limit.items:
            if not self._strategy.hit(item, limit.name, key, cost=cost):
                left = self._strategy.get_window_stats(item, limit.name, key).remaining
                if left > 0:
                    self._strategy.hit(item, limit.name, key, cost=left)

    def refund(self, limit: Limit, key: str) -> None:
        """Give back one unit taken by :meth:`hit` in the current window."""
        now = time.time()
        for item in limit.items:
            _, current = self._storage.sliding_window_keys(
                item.key_for(limit.name, key), item.get_expiry(), now)
            if self._storage.get(current) > 0:
                self._storage.decr(current)

    def clear(self, limit: Limit, key: str) -> None:
        """Forget everything counted for ``key`` under ``limit``."""
        for item in limit.items:
            self._strategy.clear(item, limit.name, key)

    def first_refusal(self, key: str) -> bool:
        """True at most once a minute per ``key``: for logging refusals without a log flood."""
        return self._strategy.hit(_LOG_REFUSALS, "log", key)

    def tracked_keys(self) -> int:
        """How many keys the storage holds right now (counters, expiries and locks)."""
        storage = self._storage
        return len(storage.storage.keys() | storage.expirations.keys() | storage.locks.keys()
                   | storage.events.keys())

    def _seconds_until_room(self, item: RateLimitItem, name: str, key: str,
                            cost: int) -> float:
        """When the weighted count ``previous * share left + current`` lets ``cost`` in.

        The strategy allows a hit while ``floor(weighted) + cost <= amount``, i.e. while the
        weighted count is below ``room``. The previous window's weight falls linearly to 0
        at the end of the current window; after that the current window becomes the
        previous one and its own weight falls the same way.
        """
        window = item.get_expiry()
        previous, _, current, current_ttl = self._storage.get_sliding_window(
            item.key_for(name, key), window)
        room = item.amount - cost + 1
        left = current_ttl - window  # seconds until the current window ends
        if room <= 0:
            return left + window
        if current < room:
            return max(0.0, left - (room - current) * window / previous) if previous else 0.0
        return left + window * (1 - room / current)


def retry_after(seconds: float) -> int:
    """Whole seconds for a ``Retry-After`` header: rounded up, at least 1."""
    return max(1, math.ceil(seconds))
