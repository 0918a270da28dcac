"""How far ahead of the server's clock an ERP timestamp may be.

Sync items are ordered by their ``occurredAt`` (:mod:`schema.catalog.stock`,
:mod:`schema.catalog.prices`): a stored time in the future makes every later count, delta or
price of that SKU STALE until the clock catches up, so an ERP clock a day fast would freeze
the SKU for a day. An ``occurredAt`` more than :func:`max_future` ahead of the server's clock
is therefore INVALID for its item. The allowance is ``LOOPGATE_SYNC_MAX_FUTURE_SECONDS``
(default 300: five minutes of clock skew; at most 366 days), read when a sync runs;
``loopgate`` refuses to start with any other value (``gateway/config.py``).
SKUs frozen before this check existed are released by ``loopgate inventory unfreeze``
(:mod:`schema.catalog.unfreeze`).
"""

import os
from datetime import datetime, timedelta

from schema.kernel.time import to_iso

MAX_FUTURE_ENV = "LOOPGATE_SYNC_MAX_FUTURE_SECONDS"
DEFAULT_MAX_FUTURE_S = 300
LIMIT_S = 366 * 24 * 3600


def max_future() -> timedelta:
    """The configured allowance (a bad value is refused by the settings at start-up)."""
    raw = os.environ.get(MAX_FUTURE_ENV, "").strip()
    seconds = int(raw) if raw else DEFAULT_MAX_FUTURE_S
    if not 0 <= seconds <= LIMIT_S:
        raise ValueError(f"{MAX_FUTURE_ENV} must be 0 … {LIMIT_S}, got {seconds}")
    return timedelta(seconds=seconds)


def future_problem(at: datetime, now: datetime, allowance: timedelta) -> str | None:
    """Why ``at`` is too far in the future to accept, or None."""
    if at <= now + allowance:
        return None
    return (f"occurredAt {to_iso(at)} is more than {_spoken(allowance)} ahead of the server "
            f"clock ({to_iso(now)}); check the ERP's clock and send the time the change "
            "happened")


def _spoken(allowance: timedelta) -> str:
    seconds = int(allowance.total_seconds())
    if seconds % 60 == 0 and seconds:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"
