"""The expiry sweep: vouchers of a deal whose validity ended become EXPIRED (once; a
redeemed one stays REDEEMED), and are then neither redeemed nor refunded."""

import asyncio
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.time import to_iso, utcnow
from schema.marketing.collections import DEAL_EXPIRY, VOUCHERS
from schema.marketing.expiry import sweep_expired_vouchers
from tests.marketing.helpers import (
    buyer,
    codes,
    deal,
    member_token,
    merchant,
    purchase,
    redeem,
    refund,
    stores_of,
)


async def test_the_sweep_expires_the_vouchers_of_ended_deals(db: AsyncDatabase) -> None:
    shop = merchant()
    [store] = await stores_of(db, shop.partner_id, 1)
    ends = utcnow() + timedelta(seconds=3)
    ending = await deal(db, shop, validUntil=to_iso(ends))
    lasting = await deal(db, shop)
    member = await buyer(db, shop.partner_id)
    app = member_token(member)
    used, unused, other = (await purchase(db, app, ending, member, quantity=3))["vouchers"]
    [kept] = (await purchase(db, app, lasting, member))["vouchers"]
    assert (await redeem(db, shop, used["code"], store))["userErrors"] == []
    assert await sweep_expired_vouchers(db) == 0

    await asyncio.sleep((ends - utcnow()).total_seconds() + 0.1)
    assert await sweep_expired_vouchers(db) == 2
    assert await sweep_expired_vouchers(db) == 0

    statuses = {v["_id"]: v["status"] for v in await db[VOUCHERS].find({}).to_list()}
    assert statuses == {used["id"]: "REDEEMED", unused["id"]: "EXPIRED",
                        other["id"]: "EXPIRED", kept["id"]: "ISSUED"}
    assert codes(await redeem(db, shop, unused["code"], store)) == ["VOUCHER_EXPIRED"]
    assert codes(await refund(db, shop, other["id"])) == ["VOUCHER_EXPIRED"]
    day = await db[DEAL_EXPIRY].find_one({"_id": ends.date().isoformat()})
    assert ending not in day["dealIds"]
