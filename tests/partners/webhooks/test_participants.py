"""Whose events (issue #16 point 2): an event is the resource owner's, and a partner whose app
took part gets its own copy — in its feed and at its endpoints — with the same event id."""

import asyncio

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.feed import partner_events
from partners.webhooks.deliveries import DELIVERIES, SUCCEEDED
from partners.webhooks.endpoints import create_endpoint
from schema.kernel.events import feed_events, make_event, participants, receivers
from schema.kernel.ids import new_id
from schema.marketing.codes import KEYS_ENV, new_code, new_key_set
from schema.marketing.collections import PURCHASES
from schema.marketing.issue import BUYER, issue
from schema.payments.collections import PAYMENTS
from schema.payments.status import PAYER, advance
from tests.marketing.helpers import buyer, deal, merchant, redeem, stores_of
from tests.orders.helpers import app, move, order_input, place, stock, world
from tests.partners.webhooks.helpers import (
    LOCAL,
    Receiver,
    dispatching,
    emit,
    eventually,
    relay_all,
)

STORE = {"bund": (31.2300, 121.4800)}
TOPICS = ["order.created", "order.status_changed"]


def test_participants_leave_out_the_owner_repeats_and_empty_ids() -> None:
    assert participants("ptn_a", ["ptn_b", None, "ptn_a", "", "ptn_b", "ptn_c"]) == [
        "ptn_b", "ptn_c"]
    event = make_event("order.created", "ptn_a", "Order", "ord_1", 1, {},
                       also_for=["ptn_a", "ptn_b"])
    assert event["alsoFor"] == ["ptn_b"] and receivers(event) == ["ptn_a", "ptn_b"]
    own = make_event("order.created", "ptn_a", "Order", "ord_1", 1, {}, also_for=["ptn_a"])
    assert "alsoFor" not in own and receivers(own) == ["ptn_a"]


async def test_an_order_placed_by_another_partners_app_is_in_both_feeds_and_endpoints(
        db: AsyncDatabase) -> None:
    quickmart = await world(db, STORE, {"tea": 1200})
    await stock(db, quickmart, "bund", {"tea": 5})
    harbor = new_id("ptn")
    harbor_app = app(harbor)
    merchant_receiver, harbor_receiver = await Receiver().start(), await Receiver().start()
    try:
        await create_endpoint(db, quickmart.merchant, merchant_receiver.url, TOPICS, LOCAL)
        await create_endpoint(db, harbor, harbor_receiver.url, TOPICS, LOCAL)
        placed = await place(db, harbor_app, order_input(
            quickmart, {"tea": 1}, {"type": "PICKUP", "storeId": quickmart.stores["bund"]},
            channel="PARTNER"))
        assert placed["userErrors"] == []
        order_id = placed["order"]["id"]
        assert (await move(db, quickmart.owner, order_id, "PAID"))["userErrors"] == []
        own = await place(db, quickmart.owner, order_input(
            quickmart, {"tea": 1}, {"type": "PICKUP", "storeId": quickmart.stores["bund"]}))
        assert own["userErrors"] == []
        await relay_all(db)

        merchant_feed = (await partner_events(db, quickmart.merchant, topics=TOPICS)).events
        harbor_feed = (await partner_events(db, harbor)).events
        assert [(e["topic"], e["resource"]["id"]) for e in harbor_feed] == [
            ("order.created", order_id), ("order.status_changed", order_id)]
        assert {e["_id"] for e in harbor_feed} < {e["_id"] for e in merchant_feed}
        assert len(merchant_feed) == 3
        assert all(e["partnerId"] == quickmart.merchant for e in harbor_feed)

        async with dispatching(db):
            await eventually(lambda: len(merchant_receiver.answered) == 3
                             and len(harbor_receiver.answered) == 2)
            await asyncio.sleep(0.5)
        assert len(merchant_receiver.received) == 3 and len(harbor_receiver.received) == 2
        assert sorted(harbor_receiver.event_ids()) == sorted(e["_id"] for e in harbor_feed)
        assert set(harbor_receiver.event_ids()) < set(merchant_receiver.event_ids())
        body = harbor_receiver.answered[0].event
        assert body["partnerId"] == quickmart.merchant and "alsoFor" not in body
        deliveries = await db[DELIVERIES].find({}).to_list()
        assert len(deliveries) == 5 and {d["status"] for d in deliveries} == {SUCCEEDED}
        assert sorted(d["partnerId"] for d in deliveries) == sorted(
            [quickmart.merchant] * 3 + [harbor] * 2)
    finally:
        await merchant_receiver.stop()
        await harbor_receiver.stop()


async def test_an_event_fed_twice_is_delivered_once_per_receiver(db: AsyncDatabase) -> None:
    owner, other = new_id("ptn"), new_id("ptn")
    receiver = await Receiver().start()
    try:
        await create_endpoint(db, other, receiver.url, ["order.created"], LOCAL)
        await emit(db, owner, "thing-1", also_for=[other, other, owner])
        await relay_all(db)
        event = (await partner_events(db, other)).events[0]
        await feed_events(db, [event])   # a relay that died before the pull feeds it again
        async with dispatching(db):
            await eventually(lambda: len(receiver.answered) == 1)
            await asyncio.sleep(0.5)
        assert receiver.event_ids() == [event["_id"]]
    finally:
        await receiver.stop()


async def test_vouchers_bought_through_another_partners_app_give_it_copies(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, new_key_set())
    shop, harbor = new_id("ptn"), new_id("ptn")
    store_id = (await stores_of(db, shop, 1))[0]
    deal_id = await deal(db, merchant(shop))
    member = await buyer(db, shop)
    code = new_code()
    purchase = {"_id": new_id("pay"), "dealId": deal_id, "partnerId": shop, "campaignId": None,
                "memberId": member, "clientId": "harbor-app", "quantity": 1, "channel": "APP",
                "state": "RESERVED", "demoCodes": [code], BUYER: harbor}
    await db[PURCHASES].insert_one(purchase)
    await issue(db, purchase)
    assert (await redeem(db, merchant(shop), code, store_id))["userErrors"] == []
    await relay_all(db)
    harbor_feed = (await partner_events(db, harbor)).events
    assert [e["topic"] for e in harbor_feed] == ["voucher.issued", "voucher.redeemed"]
    shop_feed = (await partner_events(db, shop, topics=["voucher.issued",
                                                        "voucher.redeemed"])).events
    assert [e["_id"] for e in shop_feed] == [e["_id"] for e in harbor_feed]


async def test_a_payment_made_by_another_partners_app_gives_it_copies(
        db: AsyncDatabase) -> None:
    shop, harbor = new_id("ptn"), new_id("ptn")
    payment_id = new_id("pay")
    await db[PAYMENTS].insert_one({
        "_id": payment_id, "merchantId": shop, "clientId": "harbor-app", PAYER: harbor,
        "memberId": None, "purpose": "DEAL", "amount": 1000, "currency": "CNY",
        "portions": [], "status": "PROCESSING", "refunds": []})
    assert (await advance(db, payment_id, "SUCCEEDED")).moved
    own_id = new_id("pay")
    await db[PAYMENTS].insert_one({
        "_id": own_id, "merchantId": shop, "clientId": "shop-app", PAYER: shop,
        "memberId": None, "purpose": "DEAL", "amount": 500, "currency": "CNY",
        "portions": [], "status": "PROCESSING", "refunds": []})
    assert (await advance(db, own_id, "SUCCEEDED")).moved
    await relay_all(db)
    harbor_feed = (await partner_events(db, harbor)).events
    assert [(e["topic"], e["resource"]["id"]) for e in harbor_feed] == [
        ("payment.succeeded", payment_id)]
    assert len((await partner_events(db, shop)).events) == 2


async def test_a_deal_bought_through_another_partners_app_end_to_end(
        db: AsyncDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    from schema.payments.providers import LIVE_ENV
    from tests.marketing.helpers import member_token, purchase

    monkeypatch.setenv(KEYS_ENV, new_key_set())
    monkeypatch.setenv(LIVE_ENV, "1")
    shop, harbor = new_id("ptn"), new_id("ptn")
    deal_id = await deal(db, merchant(shop))
    member = await buyer(db, shop)
    bought = await purchase(db, member_token(member, harbor), deal_id, member)
    assert bought["userErrors"] == [], bought
    own = await purchase(db, member_token(member, shop), deal_id, member)
    assert own["userErrors"] == [], own
    await relay_all(db)
    harbor_feed = (await partner_events(db, harbor)).events
    assert sorted(e["topic"] for e in harbor_feed) == ["payment.succeeded", "voucher.issued"]
    shop_feed = (await partner_events(db, shop, topics=["payment.succeeded",
                                                        "voucher.issued"])).events
    assert len(shop_feed) == 4
