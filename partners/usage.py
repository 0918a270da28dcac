"""Usage per app: requests and errors per UTC day, counted in memory and flushed.

Counting a request must cost the gateway nothing it would notice, and a document per app that
every request rewrote would be the hot document FerretDB handles worst (DESIGN.md §8). So each
process keeps a :class:`UsageRecorder` (``record`` is a dict update, no I/O) and
:func:`run_usage_flusher` adds what it counted to ``app_usage`` every few seconds: one document
per app per day, ``{_id: "usage:<clientId>:<YYYY-MM-DD>", clientId, date, requests, errors,
ops, rev}``, written through the kernel's revision claim (:func:`schema.kernel.claims.
update_claimed`), so several processes flushing into one document at once lose nothing.

A flush's add is named (``ops``: the document remembers its last :data:`RECENT_OPS` op ids), so
one that failed without knowing whether it landed is repeated with the same name at the next
flush and applied once. A stopping process flushes once more when its flusher is cancelled.

Usage lives in the live database for every app, sandbox apps included: it belongs to the
registry (apps are registry documents, read from the live database whoever asks), not to the
sandbox's data.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.ids import new_id
from schema.kernel.reads import get_many

USAGE = "app_usage"
RECENT_OPS = 64
MAX_DAYS = 90
DEFAULT_FLUSH_INTERVAL_S = 10.0

_log = logging.getLogger(__name__)

Key = tuple[str, str]
"""(client id, UTC day as YYYY-MM-DD)."""


def usage_id(client_id: str, day: str) -> str:
    return f"usage:{client_id}:{day}"


class UsageRecorder:
    """This process's request and error counts per app and day, until flushed.

    Used from the event loop's thread only: ``record`` is called by the request path and
    never awaits, so a flush swapping the counts out never interleaves with it.
    """

    def __init__(self) -> None:
        self._counts: dict[Key, list[int]] = {}
        self._pending: dict[Key, tuple[str, int, int]] = {}
        self._name = new_id("evt")[4:]
        self._ops = itertools.count(1)
        self._flushing = asyncio.Lock()
        self._day = ""
        self._day_ends = 0.0

    def _today(self) -> str:
        now = time.time()
        if now >= self._day_ends:
            today = datetime.fromtimestamp(now, UTC).date()
            self._day = today.isoformat()
            self._day_ends = datetime.combine(today + timedelta(days=1), datetime.min.time(),
                                              UTC).timestamp()
        return self._day

    def record(self, client_id: str, error: bool) -> None:
        """Count one request of ``client_id`` (an error when ``error``) on today's UTC date."""
        counts = self._counts.get(key := (client_id, self._today()))
        if counts is None:
            counts = self._counts[key] = [0, 0]
        counts[0] += 1
        if error:
            counts[1] += 1

    @property
    def unflushed(self) -> int:
        """Requests counted here and not yet written (for tests and metrics)."""
        return (sum(c[0] for c in self._counts.values())
                + sum(p[1] for p in self._pending.values()))

    async def flush(self, db: AsyncDatabase) -> int:
        """Add everything counted so far to ``db``; returns how many requests were written.

        An add that fails stays pending under its op id and is repeated first next time
        (applied once, see the module docstring); the error is raised after the others."""
        async with self._flushing:
            counts, self._counts = self._counts, {}
            for key, (requests, errors) in counts.items():
                if key in self._pending:   # an earlier add of this key is still unconfirmed
                    self._counts[key] = [requests, errors]
                else:
                    self._pending[key] = (f"{self._name}:{next(self._ops)}", requests, errors)
            written, failure = 0, None
            for key, (op, requests, errors) in list(self._pending.items()):
                try:
                    await _add(db, key, op, requests, errors)
                except Exception as exc:  # kept pending; retried at the next flush
                    failure = failure or exc
                    continue
                del self._pending[key]
                written += requests
            if failure is not None:
                raise failure
            return written


async def _add(db: AsyncDatabase, key: Key, op: str, requests: int, errors: int) -> None:
    client_id, day = key

    def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
        doc = current or {"clientId": client_id, "date": day, "requests": 0, "errors": 0,
                          "ops": []}
        if op in doc["ops"]:
            return None
        return {**doc, "requests": doc["requests"] + requests, "errors": doc["errors"] + errors,
                "ops": [*doc["ops"], op][-RECENT_OPS:]}

    await update_claimed(db[USAGE], db, usage_id(client_id, day), change)


async def run_usage_flusher(recorder: UsageRecorder, db: AsyncDatabase,
                            interval_s: float = DEFAULT_FLUSH_INTERVAL_S) -> None:
    """Flush ``recorder`` into ``db`` every ``interval_s`` until cancelled, then once more, so
    a graceful stop loses no count. A failed flush is logged and its counts kept."""
    try:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await recorder.flush(db)
            except Exception:
                _log.exception("usage flush failed; its counts are kept for the next one")
    except asyncio.CancelledError:
        try:
            await recorder.flush(db)
        except Exception:
            _log.exception("the last usage flush failed; %d requests were not counted",
                           recorder.unflushed)
        raise


async def usage_days(db: AsyncDatabase, client_id: str,
                     days: int) -> list[tuple[date, int, int]]:
    """(day, requests, errors) for the last ``days`` UTC days, oldest first, today last;
    a day without requests is zeros. One ``_id`` point read per day."""
    today = datetime.now(UTC).date()
    wanted = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    found = await get_many(db[USAGE], [usage_id(client_id, d.isoformat()) for d in wanted],
                           {"requests": 1, "errors": 1})
    return [(d, doc["requests"] if doc else 0, doc["errors"] if doc else 0)
            for d, doc in zip(wanted, found, strict=True)]
