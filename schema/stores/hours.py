"""Opening hours in the store's own time zone, and whether a store is open at an instant.

Hours are ``"HH:MM"`` local times; ``closes`` at or before ``opens`` means past midnight
(``opens == closes`` is round the clock; ``"24:00"`` may close a day). Special hours for a
date replace that date's regular hours. An evening that runs past midnight keeps the store
open into the next morning, so the previous day's hours are checked too.
"""

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schema.kernel.errors import UserError, UserErrorCode

_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
Interval = tuple[datetime, datetime]


def zone_or_none(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None when there is no such zone."""
    try:
        return ZoneInfo(name) if (name and "/" in name) or name == "UTC" else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def validate_hours(regular: list[dict[str, Any]], special: list[dict[str, Any]]) -> list[UserError]:
    """Every problem with the given hours, as userErrors with field paths."""
    errors: list[UserError] = []
    for i, entry in enumerate(regular):
        if not 1 <= entry["dayOfWeek"] <= 7:
            errors.append(UserError(UserErrorCode.INVALID, "dayOfWeek must be 1 (Monday) to 7",
                                    ("openingHours", str(i), "dayOfWeek")))
        errors += _check_times(entry.get("opens"), entry.get("closes"), ("openingHours", str(i)))
    for i, entry in enumerate(special):
        path = ("specialHours", str(i))
        if entry["closed"] and (entry.get("opens") or entry.get("closes")):
            errors.append(UserError(UserErrorCode.INVALID, "a closed day has no hours", path))
        elif not entry["closed"]:
            errors += _check_times(entry.get("opens"), entry.get("closes"), path)
    return errors


def _check_times(opens: str | None, closes: str | None, path: tuple[str, ...]) -> list[UserError]:
    return [UserError(UserErrorCode.INVALID, f"{name} must be HH:MM (00:00-24:00)", (*path, name))
            for name, value in (("opens", opens), ("closes", closes))
            if not isinstance(value, str) or not _HHMM.match(value)
            or (name == "opens" and value == "24:00")]


def _intervals_for(day: date, regular: list[dict[str, Any]], special: dict[str, dict[str, Any]],
                   zone: ZoneInfo) -> list[Interval]:
    override = special.get(day.isoformat())
    if override is not None:
        entries = [] if override["closed"] else [override]
    else:
        entries = [e for e in regular if e["dayOfWeek"] == day.isoweekday()]
    start_of_day = datetime.combine(day, time(0), zone)
    intervals = []
    for entry in entries:
        opens, closes = _minutes(entry["opens"]), _minutes(entry["closes"])
        if closes <= opens:
            closes += 24 * 60
        intervals.append((start_of_day + timedelta(minutes=opens),
                          start_of_day + timedelta(minutes=closes)))
    return intervals


def is_open_at(document: dict[str, Any], instant: datetime) -> bool:
    """Whether the store is open at ``instant`` (status OPEN and within its hours)."""
    if document.get("status") != "OPEN":
        return False
    zone = zone_or_none(document.get("timeZone", "")) or ZoneInfo("Asia/Shanghai")
    local = instant.astimezone(zone)
    special = {s["date"]: s for s in document.get("specialHours") or []}
    regular = document.get("openingHours") or []
    for day in (local.date() - timedelta(days=1), local.date()):
        for opens, closes in _intervals_for(day, regular, special, zone):
            if opens <= local < closes:
                return True
    return False
