"""Each merchant's part in the coalition programme: how many points a spend earns, and what
one point is worth when redeemed there. A merchant without a rule neither issues nor takes
points.

One document per merchant (``_id`` = partner id): set by that merchant only (a whole-document
replace by its one writer), read by ``_id``.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.money import DEFAULT_CURRENCY
from schema.kernel.time import utcnow

EARN_RULES = "earn_rules"
MAX_POINTS_PER_UNIT = 1_000
Document = dict[str, Any]


def rule_errors(points_per_unit: int, value_amount: int, value_currency: str) -> list[UserError]:
    """Why a rule cannot be set (empty: it can)."""
    errors = []
    if not 1 <= points_per_unit <= MAX_POINTS_PER_UNIT:
        errors.append(UserError(UserErrorCode.INVALID,
                                f"pointsPerCurrencyUnit must be 1 to {MAX_POINTS_PER_UNIT}",
                                ("input", "pointsPerCurrencyUnit")))
    if value_amount < 1:
        errors.append(UserError(UserErrorCode.INVALID,
                                "pointValue must be at least 1 minor unit",
                                ("input", "pointValue", "amount")))
    if value_currency != DEFAULT_CURRENCY:
        errors.append(UserError(UserErrorCode.CURRENCY_MISMATCH,
                                f"the programme runs in {DEFAULT_CURRENCY}",
                                ("input", "pointValue", "currency")))
    return errors


async def set_rule(db: AsyncDatabase, merchant_id: str, points_per_unit: int,
                   value_amount: int, value_currency: str) -> Document:
    document = {"_id": merchant_id, "pointsPerCurrencyUnit": points_per_unit,
                "pointValue": {"amount": value_amount, "currency": value_currency},
                "updatedAt": utcnow()}
    await db[EARN_RULES].replace_one({"_id": merchant_id}, document, upsert=True)
    return document


async def get_rule(db: AsyncDatabase, merchant_id: str) -> Document | None:
    return await db[EARN_RULES].find_one({"_id": merchant_id})


def points_for(rule: Document, spend_amount: int) -> int:
    """Points a spend of ``spend_amount`` minor units earns: per whole currency unit (100
    minor units), rounded down."""
    return spend_amount * rule["pointsPerCurrencyUnit"] // 100
