"""Cross-merchant points settlement: what each issuer owes each redeemer.

Redemptions spend the oldest lots first, so every redeemed point is known to come from one
issuer (:mod:`schema.wallet`); a reversal gives exactly those points back. Summing the
wallet's movements per (issuer, redeemer) therefore adds up, over any period, to the
redemptions minus their reversals, line by line. A line's amount is its points at the
redeemer's current ``pointValue`` (the rule at settlement time: a merchant that changes its
point value changes what it is owed for redemptions not yet settled).
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.money import Money
from schema.membership.earn_rules import get_rule
from schema.wallet import settlement_movements


@dataclass(frozen=True, slots=True)
class SettlementLine:
    issuer: str
    redeemer: str
    points: int
    amount: Money


def net_points(movements: list[dict]) -> dict[tuple[str, str], int]:
    """Points per (issuer, redeemer), lines that net to zero left out."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for movement in movements:
        totals[(movement["issuer"], movement["redeemer"])] += movement["points"]
    return {pair: points for pair, points in totals.items() if points}


async def points_settlement(db: AsyncDatabase, partner_id: str | None, start: datetime,
                            end: datetime) -> list[SettlementLine]:
    """The lines of ``[start, end)`` where ``partner_id`` is issuer or redeemer (every line
    for None: the platform operator), ordered by issuer then redeemer."""
    totals = net_points(await settlement_movements(db, start, end))
    pairs = sorted(pair for pair in totals if partner_id is None or partner_id in pair)
    redeemers = sorted({redeemer for _, redeemer in pairs})
    rules = dict(zip(redeemers, await asyncio.gather(*(get_rule(db, r) for r in redeemers)),
                     strict=True))
    lines = []
    for issuer, redeemer in pairs:
        rule = rules[redeemer]
        value = Money.from_document(rule["pointValue"]) if rule else Money.zero()
        lines.append(SettlementLine(issuer, redeemer, totals[(issuer, redeemer)],
                                    value.times(totals[(issuer, redeemer)])))
    return lines
