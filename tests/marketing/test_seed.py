"""Marketing demo data: QuickMart's campaign with vouchers sold over several channels and
redeemed at several stores (stats equal to the recount), seeded twice without change; a
sandbox's deal with a voucher to redeem by its known code and one to refund."""

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.kernel.ids import new_id
from schema.marketing import stats
from schema.marketing.collections import DEALS, VOUCHERS
from schema.marketing.seed import (
    DEMO_CAMPAIGN_ID,
    MARKETING_SEED,
    sandbox_deal_id,
    sandbox_marketing_seed,
    sandbox_voucher_code,
    sandbox_voucher_id,
)
from schema.membership.seed import MEMBERSHIP_SEED, sandbox_membership_seed
from schema.payments.providers import LIVE_ENV
from schema.stores.seed import sandbox_stores_seed, store_documents, write_stores
from tests.marketing.helpers import codes, merchant, redeem, refund


async def test_the_demo_campaign_is_seeded_once_with_a_shape(db: AsyncDatabase) -> None:
    quickmart = demo_partner_id("quickmart")
    await write_stores(db, store_documents(8, quickmart), lambda _n: None)
    await MEMBERSHIP_SEED.apply(db, lambda _n: None)

    await MARKETING_SEED.apply(db, lambda _n: None)
    once = await db[VOUCHERS].find({}, {"outbox": 0, "rev": 0}).sort("_id", 1).to_list()
    await MARKETING_SEED.apply(db, lambda _n: None)

    assert await db[VOUCHERS].find({}, {"outbox": 0, "rev": 0}).sort("_id", 1).to_list() \
        == once
    figures, _ = await stats.read(db, DEMO_CAMPAIGN_ID)
    assert figures == await stats.recount(db, DEMO_CAMPAIGN_ID)
    assert figures.sold == len(once) >= 10
    assert 0 < figures.redeemed < figures.sold
    assert len(figures.channels) >= 3 and len(figures.stores) >= 3
    assert {v["dealId"] for v in once} and len({v["dealId"] for v in once}) == 2


async def test_a_sandbox_has_a_voucher_with_a_known_code(db: AsyncDatabase) -> None:
    partner = new_id("ptn")
    for step in (sandbox_stores_seed(partner), sandbox_membership_seed(partner),
                 sandbox_marketing_seed(partner), sandbox_marketing_seed(partner)):
        await step.apply(db, lambda _n: None)
    vouchers = await db[VOUCHERS].find({"dealId": sandbox_deal_id(partner)}).to_list()
    assert sorted(v["_id"] for v in vouchers) == sorted(
        sandbox_voucher_id(partner, i) for i in range(2))
    shop = merchant(partner)
    store = (await db["stores"].find_one({"partnerId": partner}))["_id"]

    used = await redeem(db, shop, sandbox_voucher_code(partner), store)
    refunded = await refund(db, shop, sandbox_voucher_id(partner, 1))

    assert used["userErrors"] == [] and used["voucher"]["id"] == sandbox_voucher_id(partner, 0)
    assert refunded["userErrors"] == [] and refunded["voucher"]["status"] == "REFUNDED"
    assert codes(await refund(db, shop, sandbox_voucher_id(partner, 0))) == [
        "VOUCHER_ALREADY_REDEEMED"]


async def test_without_live_payments_the_demo_has_deals_but_no_sales(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LIVE_ENV)
    await write_stores(db, store_documents(8, demo_partner_id("quickmart")), lambda _n: None)
    await MEMBERSHIP_SEED.apply(db, lambda _n: None)

    await MARKETING_SEED.apply(db, lambda _n: None)

    assert await db[DEALS].count_documents({}) == 2
    assert await db[VOUCHERS].count_documents({}) == 0
    assert (await stats.read(db, DEMO_CAMPAIGN_ID))[0] == stats.Figures()
