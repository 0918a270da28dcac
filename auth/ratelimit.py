"""Rate limits of the OAuth server: their configuration and the limiter shared by processes.

A limit written ``"60/minute"`` is a token bucket: up to 60 calls at once, then one a second
as it refills (60 a minute). Several limits separated by ``;`` all apply
(``"10/second;60/minute"``: bursts of 10, at most 60 a minute). The strings are parsed by the
``limits`` package, so any of its spellings work.

:class:`RateLimiter` keeps the buckets where the gateway keeps its apps' cost budgets
(:mod:`schema.kernel.budget_slices` over :mod:`schema.kernel.buckets`): in MongoDB, shared by
every process on the database, each process withdrawing slices of a bucket (a twentieth,
at least 1) and spending them locally, so N processes together allow what one would, never
more, and a busy key costs one claimed write per slice, not per request (a bucket of fewer
than 40 calls has slices of 1 or 2: about a write per call or two, for the rare calls such
limits govern). Without a database the buckets are in this process's memory. Either way this
process forgets a key 5 s after its last call (handing back what it did not spend), so its
memory is bounded by the keys seen in the last few seconds; MongoDB keeps one
small document per key that ever ran low.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from limits import RateLimitItem, parse_many

from schema.kernel.buckets import BucketStore, MemoryBuckets, Rate
from schema.kernel.budget_slices import BudgetSlices


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


class Limit:
    """One configured limit string (one or more buckets), applied per key."""

    def __init__(self, name: str, spec: str) -> None:
        self.name = name
        self.items: tuple[RateLimitItem, ...] = tuple(parse_many(spec))
        self.buckets: tuple[tuple[str, Rate], ...] = tuple(
            (f"{name}:{item.amount}/{item.get_expiry()}s",
             Rate(item.amount, item.amount / item.get_expiry())) for item in self.items)

    def __repr__(self) -> str:
        return f"Limit({self.name!r}, {'; '.join(map(str, self.items))!r})"


IDLE_S = 5.0
"""A key is forgotten here this long after its last call (what it did not spend handed
back): the OAuth limits are small, so a held slice is worth giving back soon."""


class RateLimiter:
    """Hits, penalties, refunds and resets on token buckets keyed per (limit, key), in
    ``store`` (shared by processes, e.g. :class:`~schema.kernel.buckets.MongoBuckets`) or,
    without one, in this process's memory."""

    def __init__(self, store: BucketStore | None = None) -> None:
        self._slices = (BudgetSlices(store, idle_s=IDLE_S) if store is not None
                        else BudgetSlices(MemoryBuckets(), slice_share=0, idle_s=IDLE_S))
        self._logged: dict[str, float] = {}

    async def hit(self, limit: Limit, key: str, cost: int = 1) -> float | None:
        """Take ``cost`` from every bucket of ``limit`` for ``key``.

        Returns None when allowed, else the seconds until ``cost`` would fit again (the
        buckets already taken from stay taken: a refused caller still spends its allowance
        on the other buckets).
        """
        for name, rate in limit.buckets:
            if (wait := await self._slices.spend(f"{name}:{key}", rate, cost)) is not None:
                return wait
        return None

    async def penalize(self, limit: Limit, key: str, cost: int) -> None:
        """Take ``cost`` more from ``key``'s buckets, as much as is left if that is less."""
        for name, rate in limit.buckets:
            await self._slices.take_up_to(f"{name}:{key}", rate, cost)

    def refund(self, limit: Limit, key: str) -> None:
        """Give back one unit taken by :meth:`hit` (to this process's slice: no write)."""
        for name, _rate in limit.buckets:
            self._slices.refund(f"{name}:{key}", 1)

    async def clear(self, limit: Limit, key: str) -> None:
        """Forget everything counted for ``key`` under ``limit``: its buckets are full."""
        for name, rate in limit.buckets:
            await self._slices.fill(f"{name}:{key}", rate)

    def first_refusal(self, key: str) -> bool:
        """True at most once a minute per ``key``: for logging refusals without a log flood."""
        now = time.monotonic()
        if len(self._logged) > 1000:
            self._logged = {k: at for k, at in self._logged.items() if now - at < 60}
        if key in self._logged and now - self._logged[key] < 60:
            return False
        self._logged[key] = now
        return True

    def tracked_keys(self) -> int:
        """How many buckets this process holds something of right now."""
        return self._slices.tracked() + len(self._logged)


def retry_after(seconds: float) -> int:
    """Whole seconds for a ``Retry-After`` header: rounded up, at least 1."""
    return max(1, math.ceil(seconds))
