"""Membership demo data: earn rules for the demo merchants, demo members with points and a
stored-value balance, so a newcomer's first queries return something.

The demo member ``mia`` (``stable_id("mem", "demo-member")``, the id ``auth.demo`` signs in
as) earns at QuickMart and Harbor Coffee once a week over the four weeks before the first
seeding (the entries are booked at those times), redeems some
of her QuickMart points at Harbor Coffee (a settlement line: QuickMart owes Harbor Coffee)
and has a stored-value top-up. Every write is an operation with a stable id, so seeding again
changes nothing.
"""

import hashlib
from datetime import datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.kernel.ids import stable_id
from schema.kernel.ledger import entry_id
from schema.kernel.seeding import Advance, SeedStep
from schema.kernel.time import utcnow
from schema.membership.earn_rules import get_rule, points_for, set_rule
from schema.membership.expiry import expires_at_for, schedule_expiry
from schema.membership.members import register
from schema.membership.relationships import record_relationship
from schema.wallet import credit, earn, redeem

DEMO_MEMBER_ID = stable_id("mem", "demo-member")
DEMO_PHONE = "+8613800000000"
RULES = {"quickmart": (1, 1), "harbor-coffee": (2, 2)}
"""Merchant slug → (points per yuan, point value in fen)."""
MEMBERS = (("demo-member", "Mia", DEMO_PHONE), ("demo-member-2", "Lei", "+8613800000002"),
           ("demo-member-3", "Yan", "+8613800000003"), ("demo-member-4", "Bo", "+8613800000004"))
WEEKS = 4
SPEND = {"quickmart": 6_800, "harbor-coffee": 3_600}
"""A weekly spend per merchant, in fen."""
TOP_UP = 20_000
REDEEMED = 150
SANDBOX_EARNED = 500


async def _earn(db: AsyncDatabase, member_id: str, slug: str, spend: int, operation: str,
                reference: str, at: datetime) -> None:
    merchant = demo_partner_id(slug)
    rule = await get_rule(db, merchant)
    if rule is None:
        raise RuntimeError(f"no earn rule for {slug}: the rules are seeded first")
    expires_at = expires_at_for(at)
    await schedule_expiry(db, member_id, expires_at)
    await record_relationship(db, merchant, member_id)
    await earn(db, member_id, operation, merchant_id=merchant, points=points_for(rule, spend),
               reference=reference, expires_at=expires_at, at=at)


async def _seed(db: AsyncDatabase, advance: Advance) -> None:
    for slug, (per_unit, value) in RULES.items():
        await set_rule(db, demo_partner_id(slug), per_unit, value, "CNY")
    advance(1)
    now = utcnow()
    for key, name, phone in MEMBERS:
        member_id = (await register(db, phone, name, demo_partner_id("quickmart"),
                                    member_id=stable_id("mem", key))).member["_id"]
        for week in range(WEEKS):
            for slug, spend in SPEND.items():
                await _earn(db, member_id, slug, spend, f"seed:{key}:{slug}:{week}",
                            f"demo week {week + 1}", now - timedelta(weeks=WEEKS - week))
        advance(1)
    coffee = demo_partner_id("harbor-coffee")
    await redeem(db, DEMO_MEMBER_ID, "seed:demo-member:redeem", merchant_id=coffee,
                 points=REDEEMED, reference="demo latte", at=now - timedelta(days=3))
    await credit(db, DEMO_MEMBER_ID, "seed:demo-member:top-up", amount=TOP_UP, kind="TOP_UP",
                 reference="demo top-up", at=now - timedelta(days=2))
    advance(1)


MEMBERSHIP_SEED = SeedStep("membership", 2 + len(MEMBERS), _seed)


def sandbox_member_id(partner_id: str) -> str:
    """The member a partner's sandbox starts with (it has points earned at the partner)."""
    return stable_id("mem", f"sandbox-member:{partner_id}")


def sandbox_phone(partner_id: str, purpose: str = "member") -> str:
    """A mainland mobile number for a sandbox partner's demo data (distinct per partner and
    purpose, so partners sharing the sandbox database do not share members)."""
    digits = int(hashlib.sha256(f"{partner_id}:{purpose}".encode()).hexdigest(), 16) % 10**8
    return f"+86199{digits:08d}"


def sandbox_earning_id(partner_id: str) -> str:
    """The id of the sandbox member's EARN entry at the partner (reversible in the sandbox)."""
    return entry_id(f"sandbox-earn:{partner_id}", 0)


def sandbox_membership_seed(partner_id: str) -> SeedStep:
    """The partner's earn rule and one member with :data:`SANDBOX_EARNED` points there."""

    async def seed(db: AsyncDatabase, advance: Advance) -> None:
        await set_rule(db, partner_id, 1, 1, "CNY")
        member_id = (await register(db, sandbox_phone(partner_id), "Sandbox Member",
                                    partner_id, member_id=sandbox_member_id(partner_id))
                     ).member["_id"]
        expires_at = expires_at_for(utcnow())
        await schedule_expiry(db, member_id, expires_at)
        await record_relationship(db, partner_id, member_id)
        await earn(db, member_id, f"sandbox-earn:{partner_id}", merchant_id=partner_id,
                   points=SANDBOX_EARNED, reference="sandbox welcome", expires_at=expires_at)
        advance(1)

    return SeedStep(f"sandbox-membership:{partner_id}", 1, seed)
