"""What the platform owes each merchant, per day: ``settlements(from, to)``.

Per merchant, per Asia/Shanghai calendar day and currency: ``gross`` is the money its
SUCCEEDED payments took that day through EXTERNAL and STORED_VALUE portions (POINTS portions
settle between merchants through ``pointsSettlement``; top-ups are the member's own money,
spent later as stored value, so they are not a merchant's takings); ``refunds`` the same
methods' share of the refunds that succeeded that day; ``commission`` the merchant's rate
times ``gross - refunds``, rounded half-even once on the day's totals; ``net`` what is left.
``gross - refunds - commission = net`` holds exactly, and the days add up to the payments
and refunds they cover.

Rates are per merchant (:func:`set_commission_rate`), else ``LOOPGATE_COMMISSION_RATE``
(a decimal fraction, default ``0.006``: 0.6 %).
"""

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import as_utc, utcnow
from schema.payments.collections import COMMISSION_RATES, PAYMENTS

SETTLEMENT_ZONE = ZoneInfo("Asia/Shanghai")
RATE_ENV = "LOOPGATE_COMMISSION_RATE"
DEFAULT_RATE = "0.006"
MAX_DAYS = 92
SETTLED_METHODS = ("EXTERNAL", "STORED_VALUE")

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Settlement:
    """One merchant's day in one currency (amounts in minor units)."""

    merchant_id: str
    day: date
    currency: str
    gross: int
    refunds: int
    commission: int
    net: int


def parse_rate(text: str) -> Fraction:
    """A commission rate as a decimal fraction (``"0.006"``), 0 to 1."""
    rate = Fraction(text.strip())
    if not 0 <= rate <= 1:
        raise ValueError(f"a commission rate is a fraction from 0 to 1, got {text!r}")
    return rate


def default_rate() -> Fraction:
    return parse_rate(os.environ.get(RATE_ENV, "").strip() or DEFAULT_RATE)


async def set_commission_rate(db: AsyncDatabase, merchant_id: str, rate: str) -> None:
    """Give ``merchant_id`` its own commission rate (an operator's decision)."""
    parse_rate(rate)
    await db[COMMISSION_RATES].replace_one(
        {"_id": merchant_id}, {"rate": rate, "updatedAt": utcnow()}, upsert=True)


async def commission_rate(db: AsyncDatabase, merchant_id: str) -> Fraction:
    found = await db[COMMISSION_RATES].find_one({"_id": merchant_id})
    return parse_rate(found["rate"]) if found else default_rate()


def day_of(instant: datetime) -> date:
    """The Asia/Shanghai calendar day of an instant."""
    return as_utc(instant).astimezone(SETTLEMENT_ZONE).date()


def window(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants of the days ``first`` to ``last`` (both included), in UTC."""
    start = datetime.combine(first, time(), SETTLEMENT_ZONE)
    end = datetime.combine(last + timedelta(days=1), time(), SETTLEMENT_ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def commission_of(rate: Fraction, base: int) -> int:
    """``rate x base`` rounded half-even (``round`` of a Fraction is half-even)."""
    return round(rate * base)


def _settled(payment: Document) -> int:
    return sum(p["amount"] for p in payment["portions"] if p["method"] in SETTLED_METHODS)


def day_totals(payments: list[Document], start: datetime,
               end: datetime) -> dict[tuple[str, date, str], list[int]]:
    """(merchant, day, currency) → [gross, refunds] of ``payments`` within ``[start, end)``."""
    totals: dict[tuple[str, date, str], list[int]] = {}

    def add(payment: Document, at: datetime, index: int, amount: int) -> None:
        if start <= as_utc(at) < end:
            key = (payment["merchantId"], day_of(at), payment["currency"])
            totals.setdefault(key, [0, 0])[index] += amount

    for payment in payments:
        if payment["purpose"] == "TOP_UP":
            continue
        if payment["status"] == "SUCCEEDED" and payment.get("succeededAt"):
            add(payment, payment["succeededAt"], 0, _settled(payment))
        for refund in payment.get("refunds", []):
            if refund["status"] == "SUCCEEDED":
                add(payment, refund["succeededAt"], 1,
                    sum(refund["split"][m] for m in SETTLED_METHODS))
    return totals


async def _payments(db: AsyncDatabase, merchant_id: str, start: datetime,
                    end: datetime) -> list[Document]:
    """The merchant's payments that succeeded, or had a refund succeed, in the window (a
    refund of an old payment counts on its own day)."""
    found: dict[str, Document] = {}
    for time_field in ("succeededAt", "refunds.succeededAt"):
        query = {"merchantId": merchant_id, time_field: {"$gte": start, "$lt": end}}
        async for payment in db[PAYMENTS].find(query):
            found[payment["_id"]] = payment
    return list(found.values())


async def settlements(db: AsyncDatabase, merchant_id: str, first: date,
                      last: date) -> list[Settlement]:
    """The merchant's settlement lines for the days ``first`` to ``last``, by day."""
    start, end = window(first, last)
    totals = day_totals(await _payments(db, merchant_id, start, end), start, end)
    rate = await commission_rate(db, merchant_id)
    lines = []
    for (merchant, day, currency), (gross, refunds) in sorted(totals.items()):
        commission = commission_of(rate, gross - refunds)
        lines.append(Settlement(merchant, day, currency, gross, refunds, commission,
                                gross - refunds - commission))
    return lines
