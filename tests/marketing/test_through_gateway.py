"""Marketing through the running server's gateway: a purchase's payment resolved by the
payments subgraph, Member.vouchers joined onto membership's Member, a redemption and the
campaign's stats, all with one merchant app's token."""

from collections.abc import AsyncIterator

import httpx
import pytest

from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.marketing.codes import new_code, open_code
from schema.marketing.collections import VOUCHERS
from tests.e2e.test_open_catalogue import store_input
from tests.marketing.helpers import deal_input
from tests.payments.helpers import member_with
from tests.sandbox.conftest import GraphQL, Platform, poster, running_platform

SCOPES = ("deals:write catalog:read vouchers:read vouchers:redeem payments:read "
          "payments:write members:read stores:write")
CAMPAIGN = """mutation { createCampaign(input: {name: "Gateway week",
  startsAt: "2026-01-01T00:00:00Z", endsAt: "2099-01-01T00:00:00Z"}) { campaign { id } } }"""
DEAL = """mutation($input: CreateDealInput!) { createDeal(input: $input) {
  deal { id } userErrors { code } } }"""
BUY = """mutation($input: PurchaseDealInput!) { purchaseDeal(input: $input) {
  payment { id status purpose amount { amount } } vouchers { id code status }
  userErrors { code message } } }"""
MEMBER = """query($id: ID!) { member(id: $id) { id vouchers { edges { node { id status
  deal { id title } } } } } }"""
REDEEM = """mutation($input: RedeemVoucherInput!) { redeemVoucher(input: $input) {
  voucher { status redeemedStore { id } } userErrors { code } } }"""
STATS = """query($id: ID!) { campaign(id: $id) { stats { sold redeemed
  topStores { store { id } redeemed } } } }"""


@pytest.fixture(scope="module")
async def platform(mongo_client: Mongo) -> AsyncIterator[Platform]:
    async with running_platform(mongo_client) as running:
        yield running


@pytest.fixture
async def graphql(platform: Platform) -> AsyncIterator[GraphQL]:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as http:
        yield poster(http)


async def test_a_purchase_its_payment_vouchers_and_stats_through_the_gateway(
        platform: Platform, graphql: GraphQL) -> None:
    shop = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    store = (await graphql("""mutation($input: UpsertStoreInput!) { upsertStore(input: $input)
      { store { id } } }""", {"input": store_input("GW-1")}, token=shop))[
        "data"]["upsertStore"]["store"]["id"]
    campaign_id = (await graphql(CAMPAIGN, token=shop))["data"]["createCampaign"][
        "campaign"]["id"]
    deal_id = (await graphql(DEAL, {"input": deal_input(campaignId=campaign_id)},
                             token=shop))["data"]["createDeal"]["deal"]["id"]
    member = await member_with(platform.live, shop.partner_id, stored_value=5_000)

    bought = (await graphql(BUY, {"input": {
        "dealId": deal_id, "memberId": member, "quantity": 2, "channel": "POS",
        "portions": [{"method": "STORED_VALUE", "amount": {"amount": 2_000}}],
        "idempotencyKey": new_id("evt")}}, token=shop))

    assert "errors" not in bought, bought
    payload = bought["data"]["purchaseDeal"]
    assert payload["payment"]["status"] == "SUCCEEDED"
    assert (payload["payment"]["purpose"], payload["payment"]["amount"]) == (
        "DEAL", {"amount": 2_000})
    assert [v["code"] for v in payload["vouchers"]] == [None, None]   # not the member's token
    seen = await graphql(MEMBER, {"id": member}, token=shop)
    assert "errors" not in seen, seen
    assert {e["node"]["id"] for e in seen["data"]["member"]["vouchers"]["edges"]} == {
        v["id"] for v in payload["vouchers"]}
    stored = await platform.live[VOUCHERS].find_one({"_id": payload["vouchers"][0]["id"]})
    used = await graphql(REDEEM, {"input": {"code": open_code(stored["sealedCode"]),
                                            "storeId": store, "idempotencyKey": "gw-1"}},
                         token=shop)
    assert used["data"]["redeemVoucher"] == {
        "voucher": {"status": "REDEEMED", "redeemedStore": {"id": store}}, "userErrors": []}
    unknown = await graphql(REDEEM, {"input": {"code": new_code(), "storeId": store,
                                               "idempotencyKey": "gw-2"}}, token=shop)
    assert unknown["data"]["redeemVoucher"]["userErrors"] == [{"code": "NOT_FOUND"}]
    stats = await graphql(STATS, {"id": campaign_id}, token=shop)
    assert stats["data"]["campaign"]["stats"] == {
        "sold": 2, "redeemed": 1, "topStores": [{"store": {"id": store}, "redeemed": 1}]}
