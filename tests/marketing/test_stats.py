"""Campaign stats kept by the writers equal a recount from the vouchers after a random mix
of purchases, redemptions, refunds and expiries; a writer that died before counting is
settled by the sweep, once; ``rebuild`` writes the recount."""

import asyncio
import random
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import new_id
from schema.kernel.time import to_iso, utcnow
from schema.marketing import refund as refund_module
from schema.marketing import stats
from schema.marketing.collections import VOUCHERS
from schema.marketing.expiry import sweep_expired_vouchers
from schema.marketing.vouchers import sweep_stats_due
from tests.marketing.helpers import (
    STATS,
    buyer,
    campaign,
    data,
    deal,
    member_token,
    merchant,
    purchase,
    redeem,
    refund,
    stores_of,
)
from tests.payments.helpers import balances

CHANNELS = ("APP", "WECHAT", "DIANPING", "POS", "PARTNER")


async def test_stats_equal_the_recount_after_a_random_mix(db: AsyncDatabase) -> None:
    rng = random.Random(13)
    shop = merchant()
    stores = await stores_of(db, shop.partner_id, 3)
    campaign_id = await campaign(db, shop)
    long_deal = await deal(db, shop, campaignId=campaign_id, stockLimit=40)
    ends = utcnow() + timedelta(seconds=4)
    short_deal = await deal(db, shop, campaignId=campaign_id, price={"amount": 700},
                            faceValue={"amount": 1_000}, validUntil=to_iso(ends))
    members = [await buyer(db, shop.partner_id) for _ in range(4)]

    async def buy(deal_id: str, price: int) -> list[dict]:
        member = rng.choice(members)
        out = await purchase(db, member_token(member), deal_id, member,
                             quantity=rng.randint(1, 3), price=price,
                             channel=rng.choice(CHANNELS))
        return out["vouchers"]

    bought = [v for batch in await asyncio.gather(*(buy(long_deal, 1_000)
                                                    for _ in range(10))) for v in batch]
    bought_short = [v for batch in await asyncio.gather(*(buy(short_deal, 700)
                                                          for _ in range(4))) for v in batch]
    rng.shuffle(bought)
    to_redeem, to_refund = bought[:len(bought) // 2], bought[len(bought) // 2:][:4]
    results = await asyncio.gather(
        *(redeem(db, shop, v["code"], rng.choice(stores)) for v in to_redeem),
        *(refund(db, shop, v["id"]) for v in to_refund),
        *(redeem(db, shop, v["code"], stores[0]) for v in bought_short[:1]))
    assert all(r["userErrors"] == [] for r in results)
    await asyncio.sleep(max(0.0, (ends - utcnow()).total_seconds()) + 0.1)
    expired = await sweep_expired_vouchers(db)
    assert expired == len(bought_short) - 1

    kept, doc = await stats.read(db, campaign_id)
    recounted = await stats.recount(db, campaign_id)
    assert kept == recounted
    sold = len(bought) + len(bought_short) - len(to_refund)
    assert (kept.sold, kept.redeemed) == (sold, len(to_redeem) + 1)
    assert kept.revenue == (len(bought) - len(to_refund)) * 1_000 + len(bought_short) * 700
    assert sum(c["sold"] for c in kept.channels.values()) == sold
    assert sum(kept.stores.values()) == kept.redeemed
    shown = (await data(db, STATS, shop, id=campaign_id))["campaign"]["stats"]
    assert (shown["sold"], shown["redeemed"], shown["revenue"]["amount"]) == (
        kept.sold, kept.redeemed, kept.revenue)
    assert shown["redemptionRate"] == kept.redeemed / kept.sold
    assert doc is not None and doc["updatedAt"] <= utcnow()


async def test_a_dead_writers_figures_are_settled_once_by_the_sweep(db: AsyncDatabase) -> None:
    shop = merchant()
    [store] = await stores_of(db, shop.partner_id, 1)
    campaign_id = await campaign(db, shop)
    member = await buyer(db, shop.partner_id)
    deal_id = await deal(db, shop, campaignId=campaign_id)
    [voucher] = (await purchase(db, member_token(member), deal_id, member))["vouchers"]
    # what a redemption leaves when its process dies after the voucher's write
    await db[VOUCHERS].update_one({"_id": voucher["id"]}, {"$set": {
        "status": "REDEEMED", "redeemedAt": utcnow(), "redeemedStoreId": store,
        "statsDue": ["redeem"]}})
    assert (await stats.read(db, campaign_id))[0].redeemed == 0

    assert await sweep_stats_due(db) == 1
    assert await sweep_stats_due(db) == 0

    kept, _ = await stats.read(db, campaign_id)
    assert (kept.redeemed, kept.stores) == (1, {store: 1})
    assert kept == await stats.recount(db, campaign_id)
    assert await balances(db, member) == (0, 99_000)


async def test_rebuild_writes_the_recount(db: AsyncDatabase) -> None:
    shop = merchant()
    campaign_id = await campaign(db, shop)
    member = await buyer(db, shop.partner_id)
    await purchase(db, member_token(member), await deal(db, shop, campaignId=campaign_id),
                   member, quantity=3, channel="POS")
    await db[stats.STATS].update_one({"_id": stats.stats_id(campaign_id)},
                                     {"$set": {"sold": 99, "revenue": 1}})

    rebuilt = await stats.rebuild(db, campaign_id)

    assert (rebuilt.sold, rebuilt.revenue, rebuilt.channels) == (
        3, 3_000, {"POS": {"sold": 3, "revenue": 3_000}})
    assert (await stats.read(db, campaign_id))[0] == rebuilt


async def test_a_refund_left_before_its_money_moved_is_finished_by_the_sweep(
        db: AsyncDatabase) -> None:
    shop = merchant()
    campaign_id = await campaign(db, shop)
    member = await buyer(db, shop.partner_id, stored_value=3_000)
    deal_id = await deal(db, shop, campaignId=campaign_id)
    [voucher] = (await purchase(db, member_token(member), deal_id, member))["vouchers"]
    operation = new_id("opn")
    assert await refund_module._mark(db, voucher["id"], operation) is None   # then it died
    assert await refund_module.sweep_unfinished_refunds(db) == 0   # still its writer's
    await db[VOUCHERS].update_one({"_id": voucher["id"]}, {
        "$set": {"refundedAt": utcnow() - timedelta(minutes=5)}})

    assert await refund_module.sweep_unfinished_refunds(db) == 1
    assert await refund_module.sweep_unfinished_refunds(db) == 0

    assert await balances(db, member) == (0, 3_000)
    stored = await db[VOUCHERS].find_one({"_id": voucher["id"]})
    assert (stored["status"], stored["refundPending"], stored["statsDue"]) == (
        "REFUNDED", False, [])
    kept, _ = await stats.read(db, campaign_id)
    assert (kept.sold, kept.revenue) == (0, 0)
    assert kept == await stats.recount(db, campaign_id)
