"""How one stock movement changes one inventory row: the ordering rules of ERP sync.

- An absolute count (``onHand``) older than the stored count is STALE. A newer count
  replaces onHand, plus every already-applied delta that happened after it (those are
  remembered in ``moves`` until a count covers them), so arrival order does not matter.
- A delta applies in any order, except one older than the latest count (the count already
  includes it): STALE. With ``expectedOnHand`` it is compare-and-set: CONFLICT if stock moved.
At most :data:`MAX_MOVES` uncounted deltas are remembered (the oldest are forgotten), so a
count may arrive at most that many movements late and still be exact.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from schema.kernel.time import as_utc

MAX_MOVES = 1000


class ItemStatus(Enum):
    APPLIED = "APPLIED"
    STALE = "STALE"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    INVALID = "INVALID"
    CONFLICT = "CONFLICT"


@dataclass(frozen=True, slots=True)
class Movement:
    """One validated item: an absolute count or a delta, when it happened."""

    at: datetime
    on_hand: int | None = None
    delta: int | None = None
    expected: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    status: ItemStatus
    on_hand: int | None
    fields: dict[str, Any] | None = None
    message: str | None = None


def movement_problem(item: dict[str, Any]) -> str | None:
    """Why an item is INVALID, or None."""
    on_hand, delta = item.get("onHand"), item.get("delta")
    if (on_hand is None) == (delta is None):
        return "exactly one of onHand and delta must be given"
    if on_hand is not None and on_hand < 0:
        return "onHand must not be negative"
    if on_hand is not None and item.get("expectedOnHand") is not None:
        return "expectedOnHand applies to a delta only"
    return None


def apply(row: dict[str, Any] | None, move: Movement) -> Outcome:
    """The new stock fields after ``move``, or why it does not apply."""
    on_hand = row["onHand"] if row else 0
    counted = as_utc(row["countedAt"]) if row and row.get("countedAt") else None
    moves = [(as_utc(m["at"]), m["d"]) for m in (row or {}).get("moves", [])]
    if counted is not None and move.at < counted:
        kind = "count" if move.on_hand is not None else "delta"
        return Outcome(ItemStatus.STALE, on_hand, message=f"{kind} older than the latest count")
    if move.on_hand is not None:
        later = [(at, d) for at, d in moves if at > move.at]
        new_on_hand = move.on_hand + sum(d for _, d in later)
        return Outcome(ItemStatus.APPLIED, new_on_hand,
                       {"onHand": new_on_hand, "countedAt": move.at, "moves": _stored(later)})
    if move.expected is not None and move.expected != on_hand:
        return Outcome(ItemStatus.CONFLICT, on_hand,
                       message=f"expected onHand {move.expected}, found {on_hand}")
    assert move.delta is not None
    remembered = sorted([*moves, (move.at, move.delta)])[-MAX_MOVES:]
    return Outcome(ItemStatus.APPLIED, on_hand + move.delta,
                   {"onHand": on_hand + move.delta, "moves": _stored(remembered)})


def _stored(moves: list[tuple[datetime, int]]) -> list[dict[str, Any]]:
    """Moves as subdocuments (FerretDB v1 refuses nested arrays)."""
    return [{"at": at, "d": d} for at, d in moves]
