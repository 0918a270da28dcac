"""The whole journey through the gateway with real tokens: a merchant app registers a member
and issues points, the member (authorization code + PKCE) shows the card, another merchant's
store staff app scans it and redeems, and settlement shows who owes whom."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token

from schema.kernel.mongo import Mongo
from schema.kernel.time import to_iso, utcnow
from tests.auth._browser import Member, query_of
from tests.auth.fixtures import REDIRECT_URI, MintedToken
from tests.e2e.test_open_catalogue import store_input
from tests.sandbox.conftest import Platform, running_platform

MERCHANT = "members:read members:write points:read points:write stores:read stores:write"
STAFF = "members:read points:read points:write"
MEMBER_APP = "members:read points:read"


@pytest.fixture(scope="module")
async def platform(mongo_client: Mongo) -> AsyncIterator[Platform]:
    async with running_platform(mongo_client) as running:
        yield running


async def _client_token(platform: Platform, partner_id: str, scopes: str,
                        stores: tuple[str, ...] = ()) -> MintedToken:
    issued = await platform.auth.register(scopes, partner_id=partner_id, store_ids=stores)
    async with platform.auth.oauth_client(issued, scope=scopes) as client:
        token = await client.fetch_token(platform.auth.url("/oauth/token"),
                                         grant_type="client_credentials")
    return MintedToken(token["access_token"], issued.client.client_id, partner_id,
                       frozenset(token["scope"].split()))


async def _member_token(platform: Platform, partner_id: str, member: Member) -> MintedToken:
    """Authorization code + PKCE through the login and consent pages."""
    issued = await platform.auth.register(MEMBER_APP, partner_id=partner_id,
                                          grants=("authorization_code", "refresh_token"),
                                          redirect_uris=(REDIRECT_URI,))
    verifier = generate_token(64)
    async with platform.auth.oauth_client(issued, redirect_uri=REDIRECT_URI, scope=MEMBER_APP,
                                          code_challenge_method="S256") as oauth:
        url, _state = oauth.create_authorization_url(platform.auth.url("/oauth/authorize"),
                                                     code_verifier=verifier)
        async with httpx.AsyncClient() as browser:
            answer = await member.authorize(browser, url)
        assert answer.status_code == 302, answer.text
        token = await oauth.fetch_token(platform.auth.url("/oauth/token"),
                                        grant_type="authorization_code",
                                        code=query_of(answer.headers["location"])["code"],
                                        code_verifier=verifier)
    return MintedToken(token["access_token"], issued.client.client_id, partner_id,
                       frozenset(token["scope"].split()))


async def test_register_earn_scan_redeem_settle(platform: Platform) -> None:
    started = utcnow()
    a, b, stranger = (await platform.partner("Tea A"), await platform.partner("Bakery B"),
                      await platform.partner("Stranger"))
    app_a, app_b = (await _client_token(platform, a, MERCHANT),
                    await _client_token(platform, b, MERCHANT))
    stranger_app = await _client_token(platform, stranger, MERCHANT)
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as http:

        async def gql(query: str, token: MintedToken, **variables: Any) -> dict[str, Any]:
            response = await http.post("/graphql", json={"query": query,
                                                         "variables": variables},
                                       headers=token.headers)
            assert response.status_code == 200, response.text
            return response.json()

        async def ok(query: str, token: MintedToken, **variables: Any) -> dict[str, Any]:
            answer = await gql(query, token, **variables)
            assert "errors" not in answer, answer
            [payload] = answer["data"].values()
            if isinstance(payload, dict) and "userErrors" in payload:
                assert payload["userErrors"] == [], payload
            return payload

        registered = await ok("""mutation($input: RegisterMemberInput!) { registerMember(
            input: $input) { member { id phoneMasked } userErrors { code } } }""", app_a,
                              input={"phone": "+86 138 0000 9191", "displayName": "Journey"})
        member_id = registered["member"]["id"]
        assert registered["member"]["phoneMasked"] == "+86 138****9191"
        rule = """mutation($input: SetEarnRuleInput!) { setEarnRule(input: $input) {
            earnRule { pointsPerCurrencyUnit } userErrors { code } } }"""
        await ok(rule, app_a, input={"pointsPerCurrencyUnit": 1, "pointValue": {"amount": 1}})
        await ok(rule, app_b, input={"pointsPerCurrencyUnit": 2, "pointValue": {"amount": 3}})
        earned = await ok("""mutation($input: EarnPointsInput!) { earnPoints(input: $input) {
            balance userErrors { code } } }""", app_a, input={
            "memberId": member_id, "spend": {"amount": 20_000}, "idempotencyKey": "j-earn"})
        assert earned["balance"] == 200

        forbidden = await gql("query($id: ID!) { member(id: $id) { id } }", stranger_app,
                              id=member_id)
        assert forbidden["data"] == {"member": None}
        assert [e["extensions"]["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]

        login = Member(platform.auth, member_id, "journey-member")
        await platform.auth.service.members.set_login(login.username, login.password,
                                                      member_id)
        member = await _member_token(platform, b, login)
        card = (await ok("{ me { id card { code expiresAt } } }", member))["card"]
        store = (await ok("""mutation($input: UpsertStoreInput!) { upsertStore(input: $input)
            { store { id } userErrors { code } } }""", app_b,
                          input=store_input("B-1")))["store"]["id"]
        staff = await _client_token(platform, b, STAFF, stores=(store,))
        scanned = await ok("query($code: String!) { memberByCard(code: $code) { id "
                           "pointsBalance } }", staff, code=card["code"])
        assert scanned == {"id": member_id, "pointsBalance": 200}
        middle = len(card["code"]) // 2  # the last base32 character may carry unused bits
        tampered = (card["code"][:middle] + ("A" if card["code"][middle] != "A" else "B")
                    + card["code"][middle + 1:])
        invalid = await gql("query($c: String!) { memberByCard(code: $c) { id } }", staff,
                            c=tampered)
        assert [e["extensions"]["code"] for e in invalid["errors"]] == ["CARD_CODE_INVALID"]

        redeem = """mutation($input: RedeemPointsInput!) { redeemPoints(input: $input) {
            balance userErrors { code } } }"""
        # 100 at once, from 10 staff apps (each app's concurrent work is limited)
        tills = [staff] + [await _client_token(platform, b, STAFF, stores=(store,))
                           for _ in range(9)]
        burst = await asyncio.gather(*(gql(redeem, tills[i % 10], input={
            "memberId": member_id, "points": 3, "storeId": store,
            "idempotencyKey": f"j-redeem-{i}"}) for i in range(100)))
        payloads = [answer["data"]["redeemPoints"] for answer in burst]
        assert all("errors" not in answer for answer in burst)
        assert sum(1 for p in payloads if not p["userErrors"]) == 66
        assert {e["code"] for p in payloads for e in p["userErrors"]} == {"INSUFFICIENT_POINTS"}

        own = await ok("{ me { pointsBalance pointsLedger(first: 100) { edges { node "
                       "{ points balanceAfter } } } } }", member)
        assert own["pointsBalance"] == 2
        assert sum(e["node"]["points"] for e in own["pointsLedger"]["edges"]) == 2
        window = {"from": to_iso(started), "to": to_iso(utcnow())}
        settlement = """query($from: DateTime!, $to: DateTime!) { pointsSettlement(from: $from,
            to: $to) { issuer { id name } redeemer { id name } points amount { amount } } }"""
        line = {"issuer": {"id": a, "name": "Tea A"}, "redeemer": {"id": b, "name": "Bakery B"},
                "points": 198, "amount": {"amount": 594}}
        assert await ok(settlement, app_b, **window) == [line]
        assert await ok(settlement, app_a, **window) == [line]
        assert await ok(settlement, stranger_app, **window) == []
