"""Stock held for orders (issue #14): reserve when placed, release when canceled or expired,
commit when completed. The orders domain calls these; it never writes catalog's collections.

What an order holds lives on the inventory row itself, exactly: ``holds`` lists
``{"o": orderId, "q": units}`` for each order holding units there, and ``reserved`` is their
sum. A hold is thereby named by (order, row): a repeated reserve finds its hold and adds
nothing, and release and commit take away the hold they find, so their repeats find none.
Holds are bounded by the units on hand (each holds at least one), not by time, so a release
after the 15-minute expiry still knows exactly what to give back. ``done`` remembers the last
:data:`MAX_DONE` orders released or committed at the row, so a reserve arriving after its
order's release or commit (a late retry) holds nothing again: it is refused as a
:class:`Shortage` with nothing available to that order, never answered as if it held stock.

Every change is one claimed write of its row (:func:`schema.kernel.claims.update_claimed`:
writers take turns in a process, and revision claims arbitrate between processes), decided on
the row as it is, so ``reserved`` never passes ``onHand`` through a reservation whatever the
concurrency. An ERP sync claims the same revisions and sets only ``onHand``, ``countedAt``
and ``moves``, so a count arriving meanwhile keeps the reservations (and may leave fewer
units than are held: ``available`` is then 0 for new orders). A commit is a sale: a delta
applied by the stock ordering rules (:mod:`schema.catalog.stock`), so an older ERP count that
arrives later still has it taken off. Changed rows go into the change feeds like any other
change (:mod:`schema.catalog.feed_batch`).
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import read
from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.feed_batch import record
from schema.catalog.stock import ItemStatus, Movement, apply
from schema.kernel.claims import update_claimed
from schema.kernel.time import utcnow

MAX_DONE = 256

Document = dict[str, Any]


@dataclass(frozen=True)
class Line:
    """Units of one product to hold at one store."""

    store_id: str
    product_id: str
    quantity: int


class Shortage(Exception):
    """A line could not be held: only ``available`` units were (nothing of the failed call
    stays reserved)."""

    def __init__(self, line: Line, available: int) -> None:
        super().__init__(f"{line.quantity} of {line.product_id} wanted at {line.store_id}, "
                         f"{available} available")
        self.line, self.available = line, available


async def reserve(db: AsyncDatabase, order_id: str, lines: Sequence[Line]) -> None:
    """Hold every line for ``order_id``, or none: on a :class:`Shortage` (or any failure) the
    lines already held are given back before it is raised. Lines of one product at one store
    are held together (a Shortage names their sum). A repeat while the order holds its lines
    holds nothing more; after the order was released or committed at a row, it gets nothing
    there again (Shortage, 0 available). Concurrent calls for one order are the caller's to
    avoid: a failing one gives back what the other holds."""
    wanted = _merged(order_id, lines)
    held: list[Line] = []
    changed: list[Document] = []
    try:
        for line in wanted:
            row = await _hold(db, order_id, line)
            held.append(line)
            if row is not None:
                changed.append(row)
    except BaseException:   # the failing line too: a cancelled write may have landed
        await asyncio.shield(_give_back(db, order_id, wanted[:len(held) + 1], changed))
        raise
    await _record(db, changed)


async def release(db: AsyncDatabase, order_id: str, lines: Sequence[Line]) -> None:
    """Give back what ``order_id`` holds at the lines' rows (cancel, unpaid expiry).
    Idempotent; a reserve of the order coming after it is refused."""
    await _record(db, await _finish(db, order_id, lines, commit=False))


async def commit(db: AsyncDatabase, order_id: str, lines: Sequence[Line]) -> None:
    """Take the units ``order_id`` holds off ``onHand`` and ``reserved`` (completion).
    Idempotent; units the order no longer holds (released) are not taken."""
    await _record(db, await _finish(db, order_id, lines, commit=True))


async def available_at(db: AsyncDatabase, store_ids: Sequence[str], product_id: str) -> list[int]:
    """Units of ``product_id`` available to new orders at each store (0 when unstocked)."""
    return await read.available(db, store_ids, product_id)


def _merged(order_id: str, lines: Sequence[Line]) -> list[Line]:
    if not order_id:
        raise ValueError("an order id is required")
    totals: dict[tuple[str, str], int] = {}
    for line in lines:
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) \
                or line.quantity < 1:
            raise ValueError(f"quantity must be a positive integer, got {line.quantity!r}")
        key = (line.store_id, line.product_id)
        totals[key] = totals.get(key, 0) + line.quantity
    return [Line(store, product, quantity) for (store, product), quantity in totals.items()]


def _holds(row: Document) -> list[Document]:
    return list(row.get("holds", []))


async def _hold(db: AsyncDatabase, order_id: str, line: Line) -> Document | None:
    """Hold one line; returns the row written, or None when the order already held it.
    Raises :class:`Shortage`."""
    short: int | None = None

    def held(row: Document | None) -> Document | None:
        nonlocal short
        short = None
        if row is None:
            short = 0
            return None
        holds = _holds(row)
        if any(h["o"] == order_id for h in holds):
            return None
        if order_id in row.get("done", []):
            short = 0
            return None
        reserved = row.get("reserved", 0)
        if row["onHand"] - reserved < line.quantity:
            short = max(0, row["onHand"] - reserved)
            return None
        return {**row, "reserved": reserved + line.quantity,
                "holds": [*holds, {"o": order_id, "q": line.quantity}], "updatedAt": utcnow()}

    written = await update_claimed(db[INVENTORY], db, _row_id(line), held)
    if short is not None:
        raise Shortage(line, short)
    return written


def _row_id(line: Line) -> str:
    return inventory_id(line.store_id, line.product_id)


async def _give_back(db: AsyncDatabase, order_id: str, held: list[Line],
                     changed: list[Document]) -> None:
    """Undo a failed reserve: drop the order's holds without marking it finished (a retry of
    the placement may hold again), and record every row this call changed."""
    for line in held:
        row = await update_claimed(db[INVENTORY], db, _row_id(line),
                                   lambda r: _without(r, order_id, commit=False, finish=False))
        if row is not None:
            changed.append(row)
    await _record(db, changed)


async def _finish(db: AsyncDatabase, order_id: str, lines: Sequence[Line], *,
                  commit: bool) -> list[Document]:
    """Release or commit the order's holds at the lines' rows; returns the rows whose levels
    changed (a row only marked finished is not a change)."""
    if not order_id:
        raise ValueError("an order id is required")
    changed = []
    for row_id in dict.fromkeys(_row_id(line) for line in lines):
        written = await _finish_row(db, row_id, order_id, commit=commit)
        if written is not None:
            changed.append(written)
    return changed


async def _finish_row(db: AsyncDatabase, row_id: str, order_id: str, *,
                      commit: bool) -> Document | None:
    """The row written when the order held units there, else None."""
    units = 0

    def finished(row: Document | None) -> Document | None:
        nonlocal units
        units = sum(h["q"] for h in _holds(row) if h["o"] == order_id) if row else 0
        return _without(row, order_id, commit=commit, finish=True)

    written = await update_claimed(db[INVENTORY], db, row_id, finished)
    return written if units else None


def _without(row: Document | None, order_id: str, *, commit: bool,
             finish: bool) -> Document | None:
    """The row without the order's hold (None: nothing to write)."""
    if row is None:
        return None
    holds, done = _holds(row), list(row.get("done", []))
    units = sum(h["q"] for h in holds if h["o"] == order_id)
    if not units and (not finish or order_id in done):
        return None
    now = utcnow()
    new = {**row, "holds": [h for h in holds if h["o"] != order_id],
           "reserved": row.get("reserved", 0) - units}
    if finish:
        new["done"] = [*(d for d in done if d != order_id), order_id][-MAX_DONE:]
    if units:
        new["updatedAt"] = now
    if commit and units:
        new |= _sold(row, units, now)
    return new


def _sold(row: Document, units: int, now: datetime) -> Document:
    """The stock fields after a sale of ``units``: a delta by the ordering rules. A count
    newer than the sale already has it (STALE: onHand stays); a count below the units held
    leaves onHand at 0."""
    outcome = apply(row, Movement(at=now, delta=-units))
    if outcome.status is ItemStatus.INVALID and row["onHand"] < units:
        outcome = apply(row, Movement(at=now, delta=-row["onHand"]))
    return (outcome.fields or {}) if outcome.status is ItemStatus.APPLIED else {}


async def _record(db: AsyncDatabase, rows: list[Document]) -> None:
    by_partner: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        by_partner.setdefault(row["partnerId"], []).append((row["storeId"], row["_id"]))
    await asyncio.gather(*(record(db, partner, found) for partner, found in by_partner.items()))
