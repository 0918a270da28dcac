"""Time is UTC everywhere inside Loopgate and ISO 8601 at the edges (DESIGN.md §5).

MongoDB stores milliseconds, so :func:`utcnow` truncates to them: a value read back equals
the value written, which idempotent replays compare.
"""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware UTC, at MongoDB's millisecond precision."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_utc(value: datetime) -> datetime:
    """Make a datetime aware UTC; naive values (as PyMongo returns them) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_iso(value: datetime) -> str:
    """ISO 8601 with a ``Z`` suffix and millisecond precision, the DateTime scalar's wire form."""
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; one without a zone is refused, since its instant is unknown."""
    if not isinstance(text, str):
        raise ValueError("a DateTime must be an ISO 8601 string")
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; use UTC, e.g. 2026-11-25T08:00:00Z")
    return as_utc(value)
