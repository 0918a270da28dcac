"""How one stock movement changes one inventory row: the ordering rules of ERP sync.

- An absolute count (``onHand``) older than the stored count is STALE. A newer count
  replaces onHand, plus every already-applied delta that happened after it (those are
  remembered in ``moves`` until a count covers them), so arrival order does not matter.
- A delta applies in any order, except one older than the latest count (the count already
  includes it): STALE. With ``expectedOnHand`` it is compare-and-set: CONFLICT if stock moved.
- A level is a GraphQL ``Int`` that reads must be able to return: a count, an expected level
  and every level a change would leave lie in 0 … :data:`MAX_LEVEL`, else the item is INVALID
  (a delta that would go below zero is refused: the ERP sends a count instead).
At most :data:`MAX_MOVES` uncounted deltas are remembered (the oldest are forgotten), so a
count may arrive at most that many movements late and still be exact.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from schema.kernel.time import as_utc

MAX_MOVES = 1000
MAX_LEVEL = 2**31 - 1   # GraphQL Int
_RANGE = f"0 … {MAX_LEVEL:,}"


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
    """Why an item is INVALID on its own (before its row is read), or None."""
    on_hand, delta, expected = item.get("onHand"), item.get("delta"), item.get("expectedOnHand")
    if (on_hand is None) == (delta is None):
        return "exactly one of onHand and delta must be given"
    if on_hand is not None and not _in_range(on_hand):
        return f"onHand must be in {_RANGE}, got {on_hand:,}"
    if on_hand is not None and expected is not None:
        return "expectedOnHand applies to a delta only"
    if expected is not None and not _in_range(expected):
        return f"expectedOnHand must be in {_RANGE}, got {expected:,}"
    return None


def _in_range(level: int) -> bool:
    return 0 <= level <= MAX_LEVEL


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
        if not _in_range(new_on_hand):
            return Outcome(ItemStatus.INVALID, on_hand, message=(
                f"this count plus the {len(later)} later movements already applied would "
                f"leave onHand at {new_on_hand:,}, outside {_RANGE}"))
        return Outcome(ItemStatus.APPLIED, new_on_hand,
                       {"onHand": new_on_hand, "countedAt": move.at, "moves": _stored(later)})
    if move.expected is not None and move.expected != on_hand:
        return Outcome(ItemStatus.CONFLICT, on_hand,
                       message=f"expected onHand {move.expected}, found {on_hand}")
    assert move.delta is not None
    if on_hand + move.delta < 0:
        return Outcome(ItemStatus.INVALID, on_hand, message=(
            f"this delta would take onHand from {on_hand:,} to {on_hand + move.delta:,}; "
            "stock cannot go below zero: send a count (onHand) instead"))
    if on_hand + move.delta > MAX_LEVEL:
        return Outcome(ItemStatus.INVALID, on_hand, message=(
            f"this delta would take onHand from {on_hand:,} past {MAX_LEVEL:,}"))
    remembered = sorted([*moves, (move.at, move.delta)])[-MAX_MOVES:]
    return Outcome(ItemStatus.APPLIED, on_hand + move.delta,
                   {"onHand": on_hand + move.delta, "moves": _stored(remembered)})


def _stored(moves: list[tuple[datetime, int]]) -> list[dict[str, Any]]:
    """Moves as subdocuments (FerretDB v1 refuses nested arrays)."""
    return [{"at": at, "d": d} for at, d in moves]
