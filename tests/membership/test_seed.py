"""The demo data: mia is a real member with points at two merchants, a redemption that
settles between them and a stored-value balance; seeding twice changes nothing."""

from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.kernel.time import to_iso, utcnow
from schema.membership.members import MEMBERS
from schema.membership.seed import (
    DEMO_MEMBER_ID,
    MEMBERSHIP_SEED,
    REDEEMED,
    TOP_UP,
)
from schema.membership.seed import (
    MEMBERS as DEMO_MEMBERS,
)
from schema.wallet import WALLET, wallet_of
from tests.membership.helpers import data, member_token, partner

ME = """{ me { id displayName phoneMasked pointsBalance storedValueBalance { amount }
  pointsLedger(first: 100) { edges { node { type merchant { id } } } } } }"""
SETTLEMENT = """query($from: DateTime!, $to: DateTime!) { pointsSettlement(from: $from, to: $to)
  { issuer { id } redeemer { id } points amount { amount } } }"""


async def test_the_demo_member_has_points_and_a_balance(db: AsyncDatabase) -> None:
    start = utcnow() - timedelta(weeks=5)
    await MEMBERSHIP_SEED.apply(db, lambda _n: None)
    entries = await db[WALLET.entries].count_documents({})
    wallet = await wallet_of(db, DEMO_MEMBER_ID)
    await MEMBERSHIP_SEED.apply(db, lambda _n: None)
    assert await db[WALLET.entries].count_documents({}) == entries
    assert await db[MEMBERS].count_documents({}) == len(DEMO_MEMBERS)
    assert await wallet_of(db, DEMO_MEMBER_ID) == wallet

    me = (await data(db, ME, member_token(DEMO_MEMBER_ID)))["me"]
    quickmart, coffee = demo_partner_id("quickmart"), demo_partner_id("harbor-coffee")
    assert me["displayName"] == "Mia" and me["phoneMasked"] == "+86 138****0000"
    assert me["storedValueBalance"] == {"amount": TOP_UP}
    assert me["pointsBalance"] == wallet.points > 0
    merchants = {edge["node"]["merchant"]["id"] for edge in me["pointsLedger"]["edges"]}
    assert merchants == {quickmart, coffee}
    window = {"from": to_iso(start), "to": to_iso(utcnow() + timedelta(minutes=1))}
    lines = (await data(db, SETTLEMENT, partner(coffee), **window))["pointsSettlement"]
    owed = {line["issuer"]["id"]: line for line in lines}
    assert {line["redeemer"]["id"] for line in lines} == {coffee}
    assert sum(line["points"] for line in lines) == REDEEMED   # oldest lots first, any issuer
    assert owed[quickmart]["points"] > 0
    assert all(line["amount"]["amount"] == line["points"] * 2 for line in lines)
