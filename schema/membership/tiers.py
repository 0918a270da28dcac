"""Member tiers from the points earned in the last 12 months.

Earned means EARN entries, less the reversals of those entries (a reversed earning never
counted); redemptions and expiry do not lower a tier. Thresholds come from
``LOOPGATE_TIER_THRESHOLDS`` as ``SILVER:GOLD:PLATINUM`` points (default ``1000:5000:20000``),
read when a tier is computed; a malformed value is refused with a message naming the
variable.

The tier is computed from the member's points ledger on each read, walking it newest first
until entries older than the window: a read costs one page per 100 entries of the last year.
"""

import os
from datetime import datetime, timedelta
from enum import Enum

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import as_utc, utcnow
from schema.wallet import points_history

THRESHOLDS_ENV = "LOOPGATE_TIER_THRESHOLDS"
DEFAULT_THRESHOLDS = (1_000, 5_000, 20_000)
WINDOW = timedelta(days=365)
_PAGE = 100


class Tier(Enum):
    STANDARD = "STANDARD"
    SILVER = "SILVER"
    GOLD = "GOLD"
    PLATINUM = "PLATINUM"


def thresholds() -> tuple[int, int, int]:
    """Points for SILVER, GOLD and PLATINUM, increasing."""
    raw = os.environ.get(THRESHOLDS_ENV, "").strip()
    if not raw:
        return DEFAULT_THRESHOLDS
    try:
        silver, gold, platinum = (int(part) for part in raw.split(":"))
    except ValueError as exc:
        raise ValueError(f"{THRESHOLDS_ENV} must be SILVER:GOLD:PLATINUM points, e.g. "
                         f"1000:5000:20000; got {raw!r}") from exc
    if not 0 < silver < gold < platinum:
        raise ValueError(f"{THRESHOLDS_ENV} must increase and be positive; got {raw!r}")
    return silver, gold, platinum


def tier_for(points: int) -> Tier:
    silver, gold, platinum = thresholds()
    if points >= platinum:
        return Tier.PLATINUM
    if points >= gold:
        return Tier.GOLD
    if points >= silver:
        return Tier.SILVER
    return Tier.STANDARD


async def points_earned_since(db: AsyncDatabase, member_id: str, since: datetime) -> int:
    """EARN points booked at or after ``since``, less reversals of those earnings."""
    earned, reversed_ids, before = 0, set(), None
    while True:
        page, more = await points_history(db, member_id, merchant_id=None, first=_PAGE,
                                          before_seq=before)
        for entry in page:
            if as_utc(entry["createdAt"]) < since:
                return earned
            if entry["type"] == "REVERSE" and entry["points"] < 0 and entry.get("reverses"):
                reversed_ids.add(entry["reverses"])
            elif entry["type"] == "EARN" and entry["_id"] not in reversed_ids:
                earned += entry["points"]
        if not more or not page:
            return earned
        before = page[-1]["seq"]


async def tier_of(db: AsyncDatabase, member_id: str, now: datetime | None = None) -> Tier:
    return tier_for(await points_earned_since(db, member_id, (now or utcnow()) - WINDOW))
