"""Many writers racing: redemptions never overdraw and the ledger adds up; concurrent
earnings each land and file their member for expiry."""

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from schema.membership.expiry import CURSOR, POINTS_EXPIRY
from schema.wallet import WALLET, wallet_of
from tests.membership.helpers import earn, partner, redeem, register, set_rule


async def test_100_concurrent_redemptions_never_overdraw(db: AsyncDatabase) -> None:
    issuer, redeemer = partner(), partner()
    member_id = await register(db, issuer, "13800003030")
    await set_rule(db, issuer)
    await set_rule(db, redeemer)
    await register(db, redeemer, "13800003030")   # the member deals with both
    await earn(db, issuer, member_id, 70_000)   # 700 points
    outcomes = await asyncio.gather(*(redeem(db, redeemer if i % 2 else issuer, member_id, 10)
                                      for i in range(100)))
    done = [o for o in outcomes if not o["userErrors"]]
    refused = [o for o in outcomes if o["userErrors"]]
    assert len(done) == 70
    assert {e["code"] for o in refused for e in o["userErrors"]} == {"INSUFFICIENT_POINTS"}
    wallet = await wallet_of(db, member_id)
    assert wallet.points == 0
    entries = await db[WALLET.entries].find({"account": member_id}).sort("seq", 1).to_list()
    assert sum(e["points"] for e in entries) == wallet.points
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    running = 0
    for entry in entries:
        running += entry["points"]
        assert entry["balanceAfter"] == running >= 0


async def test_concurrent_earnings_file_every_member_for_expiry(db: AsyncDatabase) -> None:
    merchant = partner()
    await set_rule(db, merchant)
    members = [await register(db, merchant, f"139000060{i:02d}") for i in range(30)]
    outcomes = await asyncio.gather(*(earn(db, merchant, members[i % 30], 1_000)
                                      for i in range(90)))
    assert all(o["userErrors"] == [] for o in outcomes)
    for member_id in members:
        assert (await wallet_of(db, member_id)).points == 30
    buckets = await db[POINTS_EXPIRY].find({"_id": {"$ne": CURSOR}}).to_list()
    filed = [m for bucket in buckets for m in bucket["members"]]
    assert sorted(filed) == sorted(members)
