"""Points settlement against a reference: an independent FIFO model of the same operations."""

import random
from collections import defaultdict
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import to_iso, utcnow
from tests.membership.helpers import (
    data,
    earn,
    partner,
    redeem,
    register,
    reverse,
    run,
    set_rule,
)

SETTLEMENT = """query($from: DateTime!, $to: DateTime!) { pointsSettlement(from: $from, to: $to) {
  issuer { id } redeemer { id } points amount { amount currency } } }"""


class Model:
    """FIFO lots per member, kept by the test itself."""

    def __init__(self) -> None:
        self.lots: dict[str, list[list]] = defaultdict(list)   # member → [[issuer, points]]
        self.spent: dict[str, list[tuple[int, str, int]]] = {}  # redeem entry → pieces
        self.owed: dict[tuple[str, str], int] = defaultdict(int)

    def earn(self, member: str, issuer: str, points: int) -> None:
        self.lots[member].append([issuer, points])

    def balance(self, member: str) -> int:
        return sum(points for _, points in self.lots[member])

    def redeem(self, entry: str, member: str, redeemer: str, points: int) -> None:
        pieces, left = [], points
        for index, lot in enumerate(self.lots[member]):
            used = min(lot[1], left)
            if used:
                lot[1] -= used
                left -= used
                pieces.append((index, lot[0], used))
                self.owed[(lot[0], redeemer)] += used
        self.spent[entry] = [(i, issuer, p, redeemer) for i, issuer, p in pieces]

    def reverse(self, member: str, entry: str) -> None:
        for index, issuer, points, redeemer in self.spent.pop(entry):
            self.lots[member][index][1] += points
            self.owed[(issuer, redeemer)] -= points


async def test_settlement_equals_the_reference(db: AsyncDatabase) -> None:
    rng = random.Random(12)
    start = utcnow() - timedelta(minutes=1)
    merchants = [partner() for _ in range(3)]
    values = {m.partner_id: v for m, v in zip(merchants, (1, 2, 5), strict=True)}
    for merchant in merchants:
        await set_rule(db, merchant, per_unit=1, value=values[merchant.partner_id])
    members = [await register(db, merchants[0], f"1380000404{i}") for i in range(3)]
    for i in range(3):   # every member deals with every merchant
        for merchant in merchants[1:]:
            await register(db, merchant, f"1380000404{i}")
    model, redeemed_by, reversals = Model(), {}, 0
    for _ in range(60):
        member, merchant = rng.choice(members), rng.choice(merchants)
        action = rng.random()
        if action < 0.4:
            spend = rng.randrange(100, 10_000)
            await earn(db, merchant, member, spend)
            model.earn(member, merchant.partner_id, spend // 100)
        elif action < 0.85:
            points = rng.randrange(1, 60)
            done = await redeem(db, merchant, member, points)
            if points > model.balance(member):
                assert [e["code"] for e in done["userErrors"]] == ["INSUFFICIENT_POINTS"]
                continue
            assert done["userErrors"] == [], done
            model.redeem(done["entry"]["id"], member, merchant.partner_id, points)
            redeemed_by[done["entry"]["id"]] = (member, merchant)
        elif model.spent:
            entry = rng.choice(sorted(model.spent))
            member, merchant = redeemed_by[entry]
            assert (await reverse(db, merchant, entry))["userErrors"] == []
            model.reverse(member, entry)
            reversals += 1
    window = {"from": to_iso(start), "to": to_iso(utcnow() + timedelta(minutes=1))}
    seen: dict[tuple[str, str], tuple[int, int]] = {}
    for merchant in merchants:
        lines = (await data(db, SETTLEMENT, merchant, **window))["pointsSettlement"]
        for line in lines:
            pair = (line["issuer"]["id"], line["redeemer"]["id"])
            assert merchant.partner_id in pair
            assert line["amount"]["currency"] == "CNY"
            seen[pair] = (line["points"], line["amount"]["amount"])
    expected = {pair: (points, points * values[pair[1]])
                for pair, points in model.owed.items() if points}
    assert expected and reversals, "the scenario must redeem and reverse"
    assert seen == expected
    outsider = (await data(db, SETTLEMENT, partner(), **window))["pointsSettlement"]
    assert outsider == []
    empty = (await data(db, SETTLEMENT, merchants[0], **{
        "from": to_iso(start - timedelta(days=2)), "to": to_iso(start)}))["pointsSettlement"]
    assert empty == []


async def test_settlement_period_is_checked(db: AsyncDatabase) -> None:
    now = utcnow()
    backwards = await run(db, SETTLEMENT, partner(), **{"from": to_iso(now),
                                                        "to": to_iso(now - timedelta(hours=1))})
    assert [e.extensions["code"] for e in backwards.errors] == ["BAD_USER_INPUT"]
    too_long = await run(db, SETTLEMENT, partner(), **{
        "from": to_iso(now - timedelta(days=400)), "to": to_iso(now)})
    assert [e.extensions["code"] for e in too_long.errors] == ["BAD_USER_INPUT"]
