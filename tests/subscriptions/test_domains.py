"""Each subscription field end to end over SSE: inventoryLow and campaignStatsUpdated with
fields from other subgraphs, and a sandbox token that follows only the sandbox's events."""

import asyncio

import pytest

from schema.catalog.schema import schema as catalog_schema
from schema.kernel.ids import new_id
from schema.payments.providers import LIVE_ENV
from tests.auth.fixtures import MintedToken
from tests.marketing import helpers as marketing
from tests.orders.helpers import UPSERT, move, order_input, place, stock, world
from tests.stores.helpers import data as run_data
from tests.subscriptions.conftest import Served
from tests.subscriptions.test_sse import ORDER_STATUS, collect, refused

INVENTORY_LOW = """subscription($store: ID!) { inventoryLow(storeId: $store) {
  store { id name } product { id sku } onHand available } }"""
CAMPAIGN = """subscription($id: ID!) { campaignStatsUpdated(campaignId: $id) {
  sold redeemed revenue { amount } topStores { store { id name } redeemed } } }"""


async def test_inventory_low_reports_the_level_with_its_store(served: Served) -> None:
    w, token = await served.merchant("inventory:read stores:read catalog:read")
    db = served.mongo.db
    await run_data(catalog_schema, db, UPSERT, w.owner, input={
        "items": [{"sku": "A", "name": "A", "price": {"amount": 1000},
                   "lowStockThreshold": 10}], "idempotencyKey": new_id("evt")})
    listening = asyncio.create_task(collect(served, token.access_token, INVENTORY_LOW,
                                            {"store": w.stores["s1"]}, 1))
    await asyncio.sleep(1.5)
    await stock(db, w, "s1", {"B": 3})          # B has no threshold: no event
    await stock(db, w, "s1", {"A": 4})
    [(kind, event, _)] = await listening
    assert kind == "next"
    level = event["data"]["inventoryLow"]
    assert level["product"] == {"id": w.products["A"], "sku": "A"}
    assert (level["onHand"], level["available"]) == (4, 4)
    assert level["store"]["id"] == w.stores["s1"]
    assert level["store"]["name"]


async def test_inventory_low_is_for_the_stores_merchant(served: Served) -> None:
    a, _ = await served.merchant("inventory:read")
    _, other = await served.merchant("inventory:read")
    status, errors = await refused(served, other.access_token, INVENTORY_LOW,
                                   {"store": a.stores["s1"]})
    assert (status, errors[0]["extensions"]["code"]) == (403, "FORBIDDEN")


async def test_campaign_stats_follow_sales_and_redemptions(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LIVE_ENV, "1")
    db = served.mongo.db
    shop = marketing.merchant()
    [store] = await marketing.stores_of(db, shop.partner_id, 1)
    campaign_id = await marketing.campaign(db, shop)
    deal_id = await marketing.deal(db, shop, campaignId=campaign_id)
    member = await marketing.buyer(db, shop.partner_id)
    token = await served.auth.mint("deals:write stores:read", partner_id=shop.partner_id)
    listening = asyncio.create_task(collect(served, token.access_token, CAMPAIGN,
                                            {"id": campaign_id}, 2))
    await asyncio.sleep(1.5)
    bought = await marketing.purchase(db, marketing.member_token(member), deal_id, member)
    [voucher] = bought["vouchers"]
    await asyncio.sleep(3)
    assert (await marketing.redeem(db, shop, voucher["code"], store))["userErrors"] == []
    sold, redeemed = (e[1]["data"]["campaignStatsUpdated"] for e in await listening)
    assert (sold["sold"], sold["redeemed"], sold["revenue"]["amount"]) == (1, 0, 1000)
    assert (redeemed["sold"], redeemed["redeemed"]) == (1, 1)
    assert redeemed["topStores"][0]["store"]["id"] == store
    assert redeemed["topStores"][0]["store"]["name"]
    vouchers_only = await served.auth.mint("vouchers:read", partner_id=new_id("ptn"))
    status, errors = await refused(served, vouchers_only.access_token, CAMPAIGN,
                                   {"id": campaign_id})
    assert (status, errors[0]["extensions"]["code"]) == (403, "FORBIDDEN")


async def sandbox_token(served: Served, partner_id: str, scopes: str) -> MintedToken:
    auth = served.auth
    issued = await auth.service.clients.create(partner_id=partner_id, name="Sandbox app",
                                               scopes=scopes, sandbox=True)
    async with auth.oauth_client(issued, scope=scopes) as client:
        token = await client.fetch_token(auth.url("/oauth/token"),
                                         grant_type="client_credentials")
    return MintedToken(token["access_token"], issued.client.client_id, partner_id,
                       frozenset(token["scope"].split()))


async def test_a_sandbox_token_follows_only_the_sandbox(served: Served) -> None:
    sandbox_db = served.app.state.databases.sandbox
    live, live_token = await served.merchant("orders:read stores:read catalog:read")
    play = await world(sandbox_db, {"s1": (31.23, 121.47)}, {"A": 1000})
    await stock(sandbox_db, play, "s1", {"A": 10})
    await served.mongo.db["partners"].insert_one({"_id": play.merchant, "name": "Play",
                                                  "type": "STORE_CHAIN"})
    token = await sandbox_token(served, play.merchant, "orders:read stores:read catalog:read")
    status, errors = await refused(served, token.access_token, ORDER_STATUS,
                                   {"store": live.stores["s1"]})
    assert (status, errors[0]["extensions"]["code"]) == (403, "FORBIDDEN")
    order = (await place(sandbox_db, play.owner, order_input(
        play, {"A": 1}, {"type": "PICKUP", "storeId": play.stores["s1"]})))["order"]
    live_order = (await place(served.mongo.db, live.owner, order_input(
        live, {"A": 1}, {"type": "PICKUP", "storeId": live.stores["s1"]})))["order"]
    in_sandbox = asyncio.create_task(collect(served, token.access_token, ORDER_STATUS,
                                             {"store": play.stores["s1"]}, 1))
    in_live = asyncio.create_task(collect(served, live_token.access_token, ORDER_STATUS,
                                          {"store": live.stores["s1"]}, 1))
    await asyncio.sleep(1.5)
    await move(served.mongo.db, live.owner, live_order["id"], "PAID")
    [(_, event, _)] = await in_live
    assert event["data"]["orderStatusChanged"]["id"] == live_order["id"]
    await move(sandbox_db, play.owner, order["id"], "PAID")
    [(_, event, _)] = await in_sandbox          # the live move came first, unseen here
    assert event["data"]["orderStatusChanged"]["id"] == order["id"]
