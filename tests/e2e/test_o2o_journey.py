"""The O2O loop through the gateway with real tokens (issue 13): a merchant puts a deal on
sale, a member signs in to a third party's deal app (authorization code + PKCE) that buys
vouchers with the member's token, paid from balance and through the sandbox provider's
notification; the member sees the codes, a store's staff app redeems one exactly once (also
when ten tills scan one code at once), and the merchant's app reads the campaign's results at
once. The database holds no code in clear. Another merchant neither sees the
payment nor redeems the code."""

import asyncio
import random
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token

from schema.kernel.ids import new_id
from schema.kernel.time import to_iso, utcnow
from schema.marketing.codes import KEYS_ENV, new_key_set
from schema.payments.notifications import (
    SIGNATURE_HEADER,
    notification_body,
    provider_secret,
    sign,
)
from schema.payments.providers import LIVE_ENV
from tests.auth._browser import Member, query_of
from tests.auth.fixtures import REDIRECT_URI, MintedToken
from tests.e2e.conftest import Platform
from tests.e2e.test_open_catalogue import store_input

MERCHANT = ("stores:read stores:write deals:write vouchers:read members:write payments:read "
            "payments:write")
STAFF = "vouchers:redeem"
DEAL_APP = "catalog:read payments:read payments:write vouchers:read members:read"
ERRORS = "userErrors { code field message }"
VOUCHER = "id status code redeemedStore { id } deal { id } member { id }"

UPSERT_STORE = """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
  store { id } """ + ERRORS + " } }"
CREATE_CAMPAIGN = """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) {
  campaign { id } """ + ERRORS + " } }"
CREATE_DEAL = """mutation($input: CreateDealInput!) { createDeal(input: $input) {
  deal { id stockLimit stores { id } } """ + ERRORS + " } }"
REGISTER = """mutation($input: RegisterMemberInput!) { registerMember(input: $input) {
  member { id } """ + ERRORS + " } }"
TOP_UP = """mutation($input: TopUpInput!) { topUpStoredValue(input: $input) {
  payment { id status } """ + ERRORS + " } }"
DEALS = """query($m: ID!) { deals(merchantId: $m) { edges { node { id title sold
  price { amount } merchant { id } } } } }"""
PURCHASE = """mutation($input: PurchaseDealInput!) { purchaseDeal(input: $input) {
  payment { id status } vouchers { """ + VOUCHER + " } " + ERRORS + " } }"
MY_VOUCHERS = """{ me { id storedValueBalance { amount } vouchers(first: 10) { edges { node {
  """ + VOUCHER + " } } } } }"
ONE_VOUCHER = "query($id: ID!) { voucher(id: $id) { " + VOUCHER + " } }"
PAYMENT = """query($id: ID!) { payment(id: $id) { id status purpose amount { amount }
  merchant { id } member { id } } }"""
REDEEM = """mutation($input: RedeemVoucherInput!) { redeemVoucher(input: $input) {
  voucher { """ + VOUCHER + " } " + ERRORS + " } }"
STATS = """query($id: ID!) { campaign(id: $id) { id stats { sold redeemed
  revenue { amount currency } redemptionRate topStores { store { id } redeemed }
  byChannel { channel sold revenue { amount } } } } }"""


@pytest.fixture(autouse=True)
def _keys_and_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """Voucher keys from the environment (never the developer's state directory), and the
    sandbox provider taking live payments as on a ``serve --demo`` server."""
    monkeypatch.setenv(KEYS_ENV, new_key_set())
    monkeypatch.setenv(LIVE_ENV, "1")


class Journey:
    """Posts operations to the running platform as one token or another."""

    def __init__(self, platform: Platform, http: httpx.AsyncClient) -> None:
        self.platform = platform
        self.http = http

    async def gql(self, query: str, token: MintedToken, **variables: Any) -> dict[str, Any]:
        answer = await self.http.post("/graphql", json={"query": query, "variables": variables},
                                      headers=token.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def ok(self, query: str, token: MintedToken, **variables: Any) -> Any:
        """The operation's one root field, which must carry no error of either kind."""
        answer = await self.gql(query, token, **variables)
        assert "errors" not in answer, answer
        [payload] = answer["data"].values()
        if isinstance(payload, dict) and "userErrors" in payload:
            assert payload["userErrors"] == [], payload
        return payload

    async def partner(self, name: str) -> str:
        partner_id = new_id("ptn")
        await self.platform.mongo.db["partners"].insert_one(
            {"_id": partner_id, "name": name, "type": "MERCHANT"})
        return partner_id

    async def app(self, partner_id: str, scopes: str,
                  stores: tuple[str, ...] = ()) -> MintedToken:
        """A client-credentials token of a new app of ``partner_id`` (bound to ``stores``)."""
        auth = self.platform.auth
        issued = await auth.register(scopes, partner_id=partner_id, store_ids=stores)
        async with auth.oauth_client(issued, scope=scopes) as client:
            token = await client.fetch_token(auth.url("/oauth/token"),
                                             grant_type="client_credentials")
        return MintedToken(token["access_token"], issued.client.client_id, partner_id,
                           frozenset(token["scope"].split()))

    async def member_token(self, partner_id: str, member_id: str) -> MintedToken:
        """The member signs in to ``partner_id``'s app: authorization code + PKCE through the
        login and consent pages."""
        auth = self.platform.auth
        login = Member(auth, member_id, f"member-{new_id('evt')[-8:].lower()}")
        await auth.service.members.set_login(login.username, login.password, member_id)
        issued = await auth.register(DEAL_APP, partner_id=partner_id,
                                     grants=("authorization_code", "refresh_token"),
                                     redirect_uris=(REDIRECT_URI,))
        verifier = generate_token(64)
        async with auth.oauth_client(issued, redirect_uri=REDIRECT_URI, scope=DEAL_APP,
                                     code_challenge_method="S256") as oauth:
            url, _state = oauth.create_authorization_url(auth.url("/oauth/authorize"),
                                                         code_verifier=verifier)
            async with httpx.AsyncClient() as browser:
                answer = await login.authorize(browser, url)
            assert answer.status_code == 302, answer.text
            token = await oauth.fetch_token(auth.url("/oauth/token"),
                                            grant_type="authorization_code",
                                            code=query_of(answer.headers["location"])["code"],
                                            code_verifier=verifier)
        return MintedToken(token["access_token"], issued.client.client_id, partner_id,
                           frozenset(token["scope"].split()))

    async def paid(self, payment_id: str) -> None:
        """The sandbox provider reports the payment's EXTERNAL portion paid."""
        body = notification_body(new_id("evt"), payment_id, "SUCCEEDED", int(time.time()))
        secret = await provider_secret(self.platform.mongo.db, "sandbox")
        answer = await self.http.post("/payments/notifications/sandbox", content=body,
                                      headers={SIGNATURE_HEADER: sign(secret, body)})
        assert answer.status_code == 200 and answer.json()["status"] == "SUCCEEDED", answer.text

    async def store(self, merchant: MintedToken, code: str) -> str:
        return (await self.ok(UPSERT_STORE, merchant, input=store_input(code)))["store"]["id"]


@pytest.fixture
async def journey(platform: Platform) -> AsyncIterator[Journey]:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as http:
        yield Journey(platform, http)


async def _clear_codes(platform: Platform, codes: list[str]) -> list[str]:
    """Collections holding any of ``codes`` in clear (a dump must not hand them out)."""
    spellings = [c for code in codes for c in (code, code.replace("-", ""))]
    found = []
    db = platform.mongo.db
    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            if any(spelling in str(doc) for spelling in spellings):
                found.append(name)
                break
    return found


def _codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def _purchase(deal_id: str, member_id: str, quantity: int, channel: str,
              method: str) -> dict[str, Any]:
    return {"dealId": deal_id, "memberId": member_id, "quantity": quantity,
            "channel": channel, "idempotencyKey": new_id("evt"),
            "portions": [{"method": method, "amount": {"amount": 1_000 * quantity}}]}


async def test_buy_online_redeem_in_store_see_the_results(journey: Journey) -> None:
    # the merchant: two stores, a campaign and a deal redeemable at both
    shop = await journey.partner("Harbor Coffee")
    merchant = await journey.app(shop, MERCHANT)
    store_a, store_b = (await journey.store(merchant, "HC-1"),
                        await journey.store(merchant, "HC-2"))
    now = utcnow()
    campaign_id = (await journey.ok(CREATE_CAMPAIGN, merchant, input={
        "name": "Autumn week", "startsAt": to_iso(now - timedelta(days=1)),
        "endsAt": to_iso(now + timedelta(days=30)), "pointsMultiplier": 2}))["campaign"]["id"]
    deal = (await journey.ok(CREATE_DEAL, merchant, input={
        "campaignId": campaign_id, "title": "¥15 of coffee for ¥10",
        "price": {"amount": 1_000}, "faceValue": {"amount": 1_500},
        "validFrom": to_iso(now - timedelta(hours=1)),
        "validUntil": to_iso(now + timedelta(days=30)), "storeIds": [store_a, store_b],
        "stockLimit": 10}))["deal"]
    assert deal["stores"] == [{"id": store_a}, {"id": store_b}]

    # the member: registered by the merchant, tops up ¥50 through the sandbox provider
    member_id = (await journey.ok(REGISTER, merchant, input={
        "phone": f"+86 138 {random.randrange(10**8):08d}", "displayName": "Journey"})
                       )["member"]["id"]
    top_up = await journey.ok(TOP_UP, merchant, input={
        "memberId": member_id, "amount": {"amount": 5_000}, "idempotencyKey": new_id("evt")})
    await journey.paid(top_up["payment"]["id"])

    # the member signs in to a third party's deal app, which finds the deal and buys with the
    # member's token: two vouchers from balance, one paid outside
    hunter = await journey.partner("Deal Hunter")
    member = await journey.member_token(hunter, member_id)
    listed = await journey.ok(DEALS, member, m=shop)
    assert [e["node"]["id"] for e in listed["edges"]] == [deal["id"]]
    from_balance = await journey.ok(PURCHASE, member, input=_purchase(
        deal["id"], member_id, 2, "PARTNER", "STORED_VALUE"))
    assert from_balance["payment"]["status"] == "SUCCEEDED"
    assert [v["status"] for v in from_balance["vouchers"]] == ["ISSUED", "ISSUED"]
    assert all(v["code"] and v["member"] == {"id": member_id} for v in from_balance["vouchers"])
    paid_outside = await journey.ok(PURCHASE, member, input=_purchase(
        deal["id"], member_id, 1, "APP", "EXTERNAL"))
    assert (paid_outside["payment"]["status"], paid_outside["vouchers"]) == (
        "REQUIRES_PAYMENT", [])
    await journey.paid(paid_outside["payment"]["id"])

    # the member sees all three codes with their token; the merchant sees no code
    mine = await journey.ok(MY_VOUCHERS, member)
    assert mine["storedValueBalance"] == {"amount": 3_000}
    vouchers = [e["node"] for e in mine["vouchers"]["edges"]]
    assert len(vouchers) == 3 and all(v["code"] and v["status"] == "ISSUED" for v in vouchers)
    bought = {v["id"]: v["code"] for v in from_balance["vouchers"]}
    assert {v["id"]: v["code"] for v in vouchers if v["id"] in bought} == bought
    outside = next(v for v in vouchers if v["id"] not in bought)
    assert (await journey.ok(ONE_VOUCHER, merchant, id=outside["id"]))["code"] is None

    # who sees the payments: the merchant and the member's app, not another merchant
    rival = await journey.partner("Rival Tea")
    rival_app = await journey.app(rival, MERCHANT)
    for payment in (from_balance["payment"], paid_outside["payment"]):
        for token in (merchant, member):
            seen = await journey.ok(PAYMENT, token, id=payment["id"])
            assert (seen["status"], seen["purpose"], seen["merchant"], seen["member"]) == (
                "SUCCEEDED", "DEAL", {"id": shop}, {"id": member_id})
        hidden = await journey.gql(PAYMENT, rival_app, id=payment["id"])
        assert hidden["data"] == {"payment": None}
        assert [e["extensions"]["code"] for e in hidden["errors"]] == ["FORBIDDEN"]

    # a till of store B scans a code (typed loosely); once only
    till = await journey.app(shop, STAFF, stores=(store_b,))
    code = from_balance["vouchers"][0]["code"]
    redeemed = await journey.ok(REDEEM, till, input={
        "code": code.lower().replace("-", " "), "storeId": store_b,
        "idempotencyKey": new_id("evt")})
    assert (redeemed["voucher"]["status"], redeemed["voucher"]["redeemedStore"]) == (
        "REDEEMED", {"id": store_b})
    again = (await journey.gql(REDEEM, till, input={
        "code": code, "storeId": store_b, "idempotencyKey": new_id("evt")}))["data"]
    assert _codes(again["redeemVoucher"]) == ["VOUCHER_ALREADY_REDEEMED"]
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    mistyped = (await journey.gql(REDEEM, till, input={
        "code": typo, "storeId": store_b, "idempotencyKey": new_id("evt")}))["data"]
    assert _codes(mistyped["redeemVoucher"]) == ["INVALID"]

    # another merchant's till cannot redeem the member's codes at its own store
    rival_store = await journey.store(rival_app, "RT-1")
    rival_till = await journey.app(rival, STAFF, stores=(rival_store,))
    for stolen in (code, outside["code"]):
        refused = (await journey.gql(REDEEM, rival_till, input={
            "code": stolen, "storeId": rival_store, "idempotencyKey": new_id("evt")}))["data"]
        assert _codes(refused["redeemVoucher"]) == ["NOT_FOUND"]
    unused = await journey.ok(ONE_VOUCHER, member, id=outside["id"])
    assert unused["status"] == "ISSUED"

    # ten tills of store A scan the same code at once: one redeems it
    tills = [await journey.app(shop, STAFF, stores=(store_a,)) for _ in range(10)]
    burst = await asyncio.gather(*(journey.gql(REDEEM, t, input={
        "code": outside["code"], "storeId": store_a, "idempotencyKey": new_id("evt")})
        for t in tills))
    assert sorted(code for answer in burst
                  for code in _codes(answer["data"]["redeemVoucher"]) or ["OK"]) == [
        "OK", *["VOUCHER_ALREADY_REDEEMED"] * 9]

    # the merchant's app reads the campaign's results, already counting the redemptions
    stats = (await journey.ok(STATS, merchant, id=campaign_id))["stats"]
    assert (stats["sold"], stats["redeemed"], stats["revenue"]) == (
        3, 2, {"amount": 3_000, "currency": "CNY"})
    assert stats["redemptionRate"] == pytest.approx(2 / 3)
    assert sorted(stats["topStores"], key=lambda s: s["store"]["id"]) == sorted(
        [{"store": {"id": store_a}, "redeemed": 1}, {"store": {"id": store_b}, "redeemed": 1}],
        key=lambda s: s["store"]["id"])
    assert sorted(stats["byChannel"], key=lambda c: c["channel"]) == [
        {"channel": "APP", "sold": 1, "revenue": {"amount": 1_000}},
        {"channel": "PARTNER", "sold": 2, "revenue": {"amount": 2_000}}]
    hidden_stats = await journey.gql(STATS, rival_app, id=campaign_id)
    assert hidden_stats["data"] == {"campaign": None}
    assert [e["extensions"]["code"] for e in hidden_stats["errors"]] == ["FORBIDDEN"]
    sold = await journey.ok(DEALS, member, m=shop)
    assert sold["edges"][0]["node"]["sold"] == 3
    assert await _clear_codes(journey.platform, [v["code"] for v in vouchers]) == []
