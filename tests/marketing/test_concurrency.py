"""Races on the real FerretDB: many redemptions of one code, many purchases of the last few
vouchers of a deal."""

import asyncio

from pymongo.asynchronous.database import AsyncDatabase

from schema.marketing.collections import PURCHASES, VOUCHERS
from schema.marketing.deals import SOLD, STOCK
from tests.marketing.helpers import (
    buyer,
    campaign,
    codes,
    deal,
    member_token,
    merchant,
    purchase,
    redeem,
    stores_of,
)
from tests.marketing.helpers import data as run_data


async def test_fifty_concurrent_redemptions_of_one_code_succeed_once(db: AsyncDatabase) -> None:
    shop = merchant()
    [store] = await stores_of(db, shop.partner_id, 1)
    deal_id = await deal(db, shop, campaignId=await campaign(db, shop))
    member = await buyer(db, shop.partner_id)
    [voucher] = (await purchase(db, member_token(member), deal_id, member))["vouchers"]

    results = await asyncio.gather(*(redeem(db, shop, voucher["code"], store)
                                     for _ in range(50)))

    winners = [r for r in results if r["userErrors"] == []]
    assert len(winners) == 1
    assert sorted({c for r in results for c in codes(r)}) == ["VOUCHER_ALREADY_REDEEMED"]
    stored = await db[VOUCHERS].find_one({"_id": voucher["id"]})
    assert (stored["status"], stored["redeemedStoreId"]) == ("REDEEMED", store)
    assert len([e for e in stored.get("outbox", []) if e["topic"] == "voucher.redeemed"]) == 1


async def test_a_hundred_purchases_of_the_last_ten_sell_exactly_ten(db: AsyncDatabase) -> None:
    shop = merchant()
    deal_id = await deal(db, shop, stockLimit=12)
    early = await buyer(db, shop.partner_id)
    assert (await purchase(db, member_token(early), deal_id, early, quantity=2)
            )["userErrors"] == []
    members = [await buyer(db, shop.partner_id) for _ in range(10)]

    results = await asyncio.gather(*(
        purchase(db, member_token(members[i % 10]), deal_id, members[i % 10])
        for i in range(100)))

    sold = [r for r in results if r["userErrors"] == []]
    assert len(sold) == 10
    assert {c for r in results for c in codes(r)} == {"DEAL_SOLD_OUT"}
    assert await db[VOUCHERS].count_documents({"dealId": deal_id}) == 12
    assert await STOCK.value(db, deal_id) == 0
    assert await SOLD.value(db, deal_id) == 12
    assert await db[PURCHASES].count_documents({"dealId": deal_id, "state": "SOLD_OUT"}) == 90
    out = await run_data(db, "query($id: ID!) { deal(id: $id) { sold stockLimit } }", shop,
                         id=deal_id)
    assert out["deal"] == {"sold": 12, "stockLimit": 12}
