"""The O2O loop inside the marketing subgraph on the real FerretDB: a member's token buys
vouchers paid from balance, the code is shown to that member only, a store's staff app
redeems it once, and the campaign's stats and events follow."""

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.events import EVENTS, relay_outboxes
from schema.payments.collections import PAYMENTS
from tests.marketing.helpers import (
    STATS,
    VOUCHER,
    buyer,
    campaign,
    codes,
    data,
    deal,
    member_token,
    merchant,
    purchase,
    redeem,
    stores_of,
)
from tests.payments.helpers import balances

VOUCHER_QUERY = "query($id: ID!) { voucher(id: $id) { " + VOUCHER + " } }"


async def test_a_member_buys_and_a_store_redeems_once(db: AsyncDatabase) -> None:
    shop = merchant()
    store_a, store_b = await stores_of(db, shop.partner_id)
    campaign_id = await campaign(db, shop)
    deal_id = await deal(db, shop, campaignId=campaign_id, stockLimit=5)
    member = await buyer(db, shop.partner_id, stored_value=10_000)
    app = member_token(member)

    bought = await purchase(db, app, deal_id, member, quantity=2, channel="WECHAT")

    assert bought["userErrors"] == []
    assert len(bought["vouchers"]) == 2
    assert {v["status"] for v in bought["vouchers"]} == {"ISSUED"}
    assert all(v["code"] for v in bought["vouchers"])
    assert await balances(db, member) == (0, 8_000)
    payment = await db[PAYMENTS].find_one({"_id": bought["payment"]["id"]})
    assert (payment["purpose"], payment["merchantId"], payment["status"], payment["amount"]) \
        == ("DEAL", shop.partner_id, "SUCCEEDED", 2_000)

    first = bought["vouchers"][0]
    seen_by_shop = await data(db, VOUCHER_QUERY, shop, id=first["id"])
    assert seen_by_shop["voucher"]["code"] is None
    assert (await data(db, VOUCHER_QUERY, member_token(member), id=first["id"])
            )["voucher"]["code"] == first["code"]

    staff = merchant(shop.partner_id, stores=frozenset({store_b}))
    typed = first["code"].lower().replace("-", " ")
    used = await redeem(db, staff, typed, store_b)
    assert used["userErrors"] == []
    assert (used["voucher"]["status"], used["voucher"]["redeemedStore"]) == (
        "REDEEMED", {"id": store_b})
    again = await redeem(db, staff, first["code"], store_b)
    assert codes(again) == ["VOUCHER_ALREADY_REDEEMED"]
    elsewhere = await redeem(db, staff, bought["vouchers"][1]["code"], store_a)
    assert codes(elsewhere) == ["FORBIDDEN"]

    stats = (await data(db, STATS, shop, id=campaign_id))["campaign"]["stats"]
    assert (stats["sold"], stats["redeemed"], stats["revenue"]["amount"]) == (2, 1, 2_000)
    assert stats["redemptionRate"] == 0.5
    assert stats["topStores"] == [{"store": {"id": store_b}, "redeemed": 1}]
    assert stats["byChannel"] == [{"channel": "WECHAT", "sold": 2,
                                   "revenue": {"amount": 2_000}}]

    assert await relay_outboxes(db) >= 3
    topics = [e["topic"] for e in await db[EVENTS].find(
        {"resource.type": "Voucher"}).sort("occurredAt", 1).to_list()]
    assert sorted(topics) == ["voucher.issued", "voucher.issued", "voucher.redeemed"]
    redeemed = await db[EVENTS].find_one({"topic": "voucher.redeemed"})
    assert (redeemed["partnerId"], redeemed["data"]["storeId"], redeemed["sequence"]) == (
        shop.partner_id, store_b, 2)
