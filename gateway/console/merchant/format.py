"""How money, times and ids read on the merchant pages (the scripts format the same way)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def money(value: dict[str, Any] | None) -> str:
    """Minor units as ``12.50 CNY`` (every contract currency has two decimals)."""
    if not value:
        return "—"
    amount = int(value["amount"])
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d} {value['currency']}"


def clock(iso: str | None) -> str:
    """An ISO time as ``HH:MM UTC`` (the board is read within a day)."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%H:%M UTC")


def short_id(entity_id: str) -> str:
    """The last six characters of an id: enough to call an order out at the counter."""
    return entity_id[-6:].upper()


def percent(rate: float) -> str:
    return f"{100 * rate:.1f} %"
