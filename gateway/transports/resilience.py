"""Per-subgraph timeouts, query retries and a circuit breaker around a transport (issue #15).

One sick subgraph must not take the gateway's time or threads with it. :class:`Resilient`
wraps one subgraph's transport:

* **Timeout.** Each attempt gets the subgraph's ``timeout_s`` (never more than what is left
  of the operation's budget): the request's deadline is moved earlier, which the transports
  already turn into their own timeouts, and the wait itself is bounded too, unless the
  transport says it ``bounds_itself`` (the HTTP one: its client's total timeout is that
  deadline; a timer per attempt costs several µs on the hottest path).
* **Retries.** Only queries are retried (a mutation may have done its work even when its
  answer was lost), only when the failure says the request never reached a working subgraph
  (connection refused or reset, HTTP 502/503/504), with exponential backoff and full jitter,
  and only while the operation's budget leaves time for the pause and another attempt.
* **Circuit breaker.** After ``breaker_failures`` consecutive failed attempts, or a failure
  rate of ``breaker_failure_rate`` over the last ``breaker_window`` attempts, calls fail at
  once with :class:`CircuitOpen` for ``breaker_cooldown_s``; then one probe call is let
  through (half-open): its success closes the circuit, its failure opens it again.

Only :class:`SubgraphUnavailable` counts as a failure: a GraphQL response with errors is the
subgraph working. Settings come from ``LOOPGATE_SUBGRAPH_DEFAULTS`` and per-subgraph
``LOOPGATE_SUBGRAPHS`` (JSON objects of :class:`SubgraphPolicy` fields).
"""

import asyncio
import random
import re
import time
from collections import deque
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.observability.current import record_retry
from gateway.transports.base import SubgraphRequest, SubgraphUnavailable, Transport
from gateway.transports.base import is_query as is_query_document

_RETRYABLE_STATUS = re.compile(r"^HTTP 50[234]\b")
_RETRYABLE_CAUSES = (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError,
                     aiohttp.ClientOSError, ConnectionError)


class SubgraphPolicy(BaseModel):
    """How one subgraph is called: timeout, retries, circuit breaker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_s: float = Field(default=10.0, gt=0, le=600,
                             description="most time one attempt may take")
    retries: int = Field(default=2, ge=0, le=5,
                         description="extra attempts of a query after a retryable failure")
    backoff_s: float = Field(default=0.05, ge=0, le=10,
                             description="first retry's pause (before jitter); doubles each time")
    breaker_failures: int = Field(default=5, ge=1,
                                  description="consecutive failed attempts that open the circuit")
    breaker_failure_rate: float = Field(default=0.5, gt=0, le=1,
                                        description="failure share over the window that opens it")
    breaker_window: int = Field(default=20, ge=2,
                                description="attempts the failure rate is measured over")
    breaker_cooldown_s: float = Field(default=5.0, gt=0, le=3600,
                                      description="how long an open circuit fails fast")


class ResilienceSettings(BaseSettings):
    """``LOOPGATE_SUBGRAPH_DEFAULTS`` and ``LOOPGATE_SUBGRAPHS`` (per-subgraph overrides), e.g.
    ``LOOPGATE_SUBGRAPHS='{"reviews": {"timeout_s": 2, "retries": 0}}'``."""

    model_config = SettingsConfigDict(env_prefix="LOOPGATE_", extra="ignore")

    subgraph_defaults: SubgraphPolicy = Field(default_factory=SubgraphPolicy)
    subgraphs: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("subgraphs")
    @classmethod
    def _valid_overrides(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for overrides in value.values():
            SubgraphPolicy(**overrides)   # refuses unknown fields and bad values at start-up
        return value

    def policy(self, subgraph: str) -> SubgraphPolicy:
        """The defaults with ``subgraph``'s overrides over them."""
        overrides = self.subgraphs.get(subgraph)
        if not overrides:
            return self.subgraph_defaults
        return SubgraphPolicy(**{**self.subgraph_defaults.model_dump(), **overrides})


class CircuitOpen(SubgraphUnavailable):
    """The subgraph's circuit is open: the call was not attempted."""


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Closed → open on consecutive failures or a failure rate; half-open after a cool-down.

    ``clock`` is injectable so tests need not sleep through cool-downs.
    """

    def __init__(self, policy: SubgraphPolicy, clock: Any = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self.state = CircuitState.CLOSED
        self._consecutive = 0
        self._recent: deque[bool] = deque(maxlen=policy.breaker_window)
        self._opened_at = 0.0
        self._probing = False

    def allow(self) -> bool:
        """Whether a call may go out now; in half-open state, only one probe at a time."""
        if self.state is CircuitState.OPEN:
            if self._clock() - self._opened_at < self.policy.breaker_cooldown_s:
                return False
            self.state = CircuitState.HALF_OPEN
        if self.state is CircuitState.HALF_OPEN:
            if self._probing:
                return False
            self._probing = True
        return True

    def retry_in(self) -> float:
        """Seconds until an open circuit lets a probe through."""
        return max(self.policy.breaker_cooldown_s - (self._clock() - self._opened_at), 0.0)

    def record(self, ok: bool | None) -> None:
        """An attempt's outcome: True healthy, False failed, None neither (cancelled, or the
        caller's budget ran out), which only frees the half-open probe slot."""
        if self.state is CircuitState.HALF_OPEN:
            self._probing = False
            if ok is True:
                self._close()
            elif ok is False:
                self._open()
            return
        if ok is None:
            return
        self._recent.append(ok)
        self._consecutive = 0 if ok else self._consecutive + 1
        if not ok and (self._consecutive >= self.policy.breaker_failures or self._rate_exceeded()):
            self._open()

    def _rate_exceeded(self) -> bool:
        if len(self._recent) < self.policy.breaker_window:
            return False
        failures = sum(1 for ok in self._recent if not ok)
        return failures / len(self._recent) >= self.policy.breaker_failure_rate

    def _open(self) -> None:
        self.state = CircuitState.OPEN
        self._opened_at = self._clock()

    def _close(self) -> None:
        self.state = CircuitState.CLOSED
        self._consecutive = 0
        self._recent.clear()


def is_query(request: SubgraphRequest) -> bool:
    """Whether the request's operation is a query (entity fetches of a query included)."""
    return is_query_document(request.document, request.operation_name)


def is_retryable(error: SubgraphUnavailable) -> bool:
    """Whether the failure means the subgraph never worked on the request: the connection was
    refused or reset, or a proxy in front of it answered 502, 503 or 504."""
    if isinstance(error, CircuitOpen):
        return False
    return (isinstance(error.__cause__, _RETRYABLE_CAUSES)
            or _RETRYABLE_STATUS.match(error.reason) is not None)


class Resilient:
    """``inner`` (one subgraph's transport) with its policy's timeout, retries and breaker."""

    def __init__(self, subgraph: str, inner: Transport, policy: SubgraphPolicy) -> None:
        self.subgraph = subgraph
        self.inner = inner
        self.policy = policy
        self.breaker = CircuitBreaker(policy)
        self._bounds_itself = getattr(inner, "bounds_itself", False) is True

    async def execute(self, request: SubgraphRequest) -> Mapping[str, Any]:
        attempts = 0   # worked out at the first failure: most calls need no retry
        attempt = 0
        while True:
            try:
                return await self._attempt(request)
            except SubgraphUnavailable as error:
                if not attempts:
                    attempts = 1 + (self.policy.retries if is_query(request) else 0)
                pause = self._backoff(attempt)
                if (attempt + 1 >= attempts or not is_retryable(error)
                        or not self._time_for(request, pause)):
                    raise
            await asyncio.sleep(pause)
            record_retry(self.subgraph)
            attempt += 1

    async def _attempt(self, request: SubgraphRequest) -> Mapping[str, Any]:
        if not self.breaker.allow():
            raise CircuitOpen(self.subgraph, f"circuit open after repeated failures; next "
                                             f"probe in {self.breaker.retry_in():.1f} s")
        bounded, limit = self._bounded(request)
        healthy: bool | None = None   # None: the outcome says nothing about the subgraph
        try:
            if self._bounds_itself:
                response = await self.inner.execute(bounded)
            else:
                async with asyncio.timeout(limit):
                    response = await self.inner.execute(bounded)
            healthy = True
        except TimeoutError as exc:
            healthy = self._failure_health(request)
            raise SubgraphUnavailable(self.subgraph, f"timed out after {limit:.3g} s") from exc
        except SubgraphUnavailable:
            healthy = self._failure_health(request)
            raise
        finally:
            self.breaker.record(healthy)
        return response

    @staticmethod
    def _failure_health(request: SubgraphRequest) -> bool | None:
        """False (a failure of the subgraph) unless the operation's own budget ran out."""
        if request.deadline is not None and time.monotonic() >= request.deadline:
            return None
        return False

    def _bounded(self, request: SubgraphRequest) -> tuple[SubgraphRequest, float]:
        """The request with its deadline no later than the policy's, and the seconds left."""
        now = time.monotonic()
        deadline = now + self.policy.timeout_s
        if request.deadline is not None and request.deadline <= deadline:
            return request, max(request.deadline - now, 0.001)
        return SubgraphRequest(request.subgraph, request.query, request.document,  # no
                               request.variables, request.operation_name,  # replace(): 3x
                               request.context, deadline), self.policy.timeout_s  # slower

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, self.policy.backoff_s * 2 ** attempt)

    @staticmethod
    def _time_for(request: SubgraphRequest, pause: float) -> bool:
        """Whether the budget leaves room for ``pause`` and a little of another attempt."""
        remaining = request.remaining()
        return remaining is None or remaining > pause + 0.05

    async def close(self) -> None:
        await self.inner.close()


def resilient(transports: Mapping[str, Transport],
              settings: ResilienceSettings | None = None) -> dict[str, Transport]:
    """Each transport wrapped with its subgraph's policy (default: from the environment)."""
    settings = settings or ResilienceSettings()
    return {name: Resilient(name, transport, settings.policy(name))
            for name, transport in transports.items()}
