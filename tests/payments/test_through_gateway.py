"""Payments through the running server: the signed-notification endpoint (forgeries,
replays, stale and unknown payments get 4xx and change nothing), top-ups credited only on
success, sandbox payments found in the sandbox, who sees a payment (its merchant, the paying
member's PKCE token; others get null with FORBIDDEN), settlements' merchantId, and
``loopgate sandbox pay`` against the server."""

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from authlib.common.security import generate_token

from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.payments.collections import PAYMENTS
from schema.payments.notifications import (
    SIGNATURE_HEADER,
    notification_body,
    provider_secret,
    sign,
)
from schema.wallet import wallet_of
from tests.auth._browser import Member
from tests.auth.fixtures import REDIRECT_URI, MintedToken
from tests.auth.test_authorization_code import GRANTS, _code, _exchange
from tests.payments.helpers import member_with
from tests.sandbox.conftest import GraphQL, Platform, poster, running_platform, snapshot

SCOPES = "payments:read payments:write refunds:write members:write"
PAY = """mutation($input: CreatePaymentInput!) { createPayment(input: $input) {
  payment { id status nextAction { provider qrPayload } } userErrors { code field message } } }"""
TOP_UP = """mutation($input: TopUpInput!) { topUpStoredValue(input: $input) {
  payment { id status purpose } userErrors { code message } } }"""
PAYMENT = "query($id: ID!) { payment(id: $id) { id status amount { amount } member { id } } }"
NOTIFY = "/payments/notifications/sandbox"


@pytest.fixture(scope="module")
async def platform(mongo_client: Mongo) -> AsyncIterator[Platform]:
    async with running_platform(mongo_client) as running:
        yield running


@pytest.fixture
async def graphql(platform: Platform) -> AsyncIterator[GraphQL]:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as http:
        yield poster(http)


def _external(amount: int, member: str | None = None, stored_value: int = 0) -> dict[str, Any]:
    portions = [{"method": "EXTERNAL", "amount": {"amount": amount - stored_value}}]
    if stored_value:
        portions.append({"method": "STORED_VALUE", "amount": {"amount": stored_value}})
    return {"input": {"purpose": "ORDER", "memberId": member, "amount": {"amount": amount},
                      "portions": portions, "idempotencyKey": new_id("evt")}}


async def _notify(platform: Platform, payment_id: str, outcome: str = "SUCCEEDED", *,
                  notification: str | None = None, stamp: int | None = None,
                  key: bytes | None = None, body: bytes | None = None) -> httpx.Response:
    raw = body or notification_body(notification or new_id("evt"), payment_id, outcome,
                                    stamp or int(time.time()))
    secret = key or await provider_secret(platform.live, "sandbox")
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        return await http.post(NOTIFY, content=raw, headers={SIGNATURE_HEADER: sign(secret, raw)})


async def test_the_endpoint_rejects_forgeries_replays_and_unknown_payments(
        platform: Platform, graphql: GraphQL) -> None:
    token = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    member = await member_with(platform.live, token.partner_id, stored_value=1_000)
    made = (await graphql(PAY, _external(1_000, member, stored_value=400), token=token))[
        "data"]["createPayment"]
    payment_id = made["payment"]["id"]
    assert made["payment"]["status"] == "REQUIRES_PAYMENT"
    assert made["payment"]["nextAction"]["provider"] == "sandbox"
    await provider_secret(platform.live, "sandbox")   # made at start; here for certain
    before = await snapshot(platform.live)

    forged = await _notify(platform, payment_id, key=b"not the secret")
    stale = await _notify(platform, payment_id, stamp=int(time.time()) - 3600)
    unknown = await _notify(platform, new_id("pay"))
    garbage = await _notify(platform, payment_id, body=b'{"id": 1}')
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        unsigned = await http.post(NOTIFY, content=notification_body(
            "n", payment_id, "SUCCEEDED", int(time.time())))
        huge = await http.post(NOTIFY, content=b"x" * 100_000)
        elsewhere = await http.post("/payments/notifications/alipay", content=b"{}")

    assert [r.status_code for r in (forged, stale, unknown, garbage, unsigned, huge,
                                    elsewhere)] == [401, 400, 404, 400, 401, 413, 404]
    assert await snapshot(platform.live) == before

    paid = await _notify(platform, payment_id, notification="n-1")
    assert paid.status_code == 200 and paid.json()["status"] == "SUCCEEDED"
    after = await snapshot(platform.live)
    replay = await _notify(platform, payment_id, notification="n-1")
    late_failure = await _notify(platform, payment_id, "FAILED")
    assert (replay.status_code, late_failure.status_code) == (409, 409)
    assert await snapshot(platform.live) == after
    assert (await wallet_of(platform.live, member)).stored_value == 600


async def test_a_failed_external_portion_gives_the_balance_back(platform: Platform,
                                                                graphql: GraphQL) -> None:
    token = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    member = await member_with(platform.live, token.partner_id, stored_value=1_000)
    made = (await graphql(PAY, _external(900, member, stored_value=700), token=token))[
        "data"]["createPayment"]["payment"]
    assert (await wallet_of(platform.live, member)).stored_value == 300

    failed = await _notify(platform, made["id"], "FAILED")

    assert failed.json()["status"] == "FAILED"
    assert (await wallet_of(platform.live, member)).stored_value == 1_000
    answer = await graphql(PAYMENT, {"id": made["id"]}, token=token)
    assert answer["data"]["payment"]["status"] == "FAILED"


async def test_a_sandbox_top_up_is_credited_only_when_paid(platform: Platform,
                                                           graphql: GraphQL) -> None:
    token = await platform.token(await platform.partner(), sandbox=True, scopes=SCOPES)
    await graphql("{ viewer { sandbox } }", token=token)   # loads the sandbox demo
    member = await member_with(platform.sandbox, token.partner_id)
    made = (await graphql(TOP_UP, {"input": {"memberId": member, "amount": {"amount": 2_000},
                                             "idempotencyKey": "t1"}}, token=token))
    payment = made["data"]["topUpStoredValue"]["payment"]
    assert payment["status"] == "REQUIRES_PAYMENT" and payment["purpose"] == "TOP_UP"
    assert (await wallet_of(platform.sandbox, member)).stored_value == 0
    assert await platform.live[PAYMENTS].find_one({"_id": payment["id"]}) is None

    paid = await _notify(platform, payment["id"])

    assert paid.json()["status"] == "SUCCEEDED"
    assert (await wallet_of(platform.sandbox, member)).stored_value == 2_000


async def _member_token(platform: Platform, member_id: str) -> MintedToken:
    """A member's token for a third-party app, through authorization code + PKCE."""
    server = platform.auth
    partner = await platform.partner("Wallet App Co")
    issued = await server.register("payments:read", partner_id=partner, grants=GRANTS,
                                   redirect_uris=(REDIRECT_URI,))
    member = Member(server, member_id, f"member-{new_id('evt')[-8:].lower()}")
    await server.service.members.set_login(member.username, member.password, member_id)
    verifier = generate_token(64)
    code = await _code(server, member, issued, verifier, scope="payments:read")
    token = await _exchange(server, issued, code, verifier)
    return MintedToken(token["access_token"], issued.client.client_id, partner,
                       frozenset(["payments:read"]))


async def test_a_payment_is_seen_by_its_merchant_and_member_only(platform: Platform,
                                                                 graphql: GraphQL) -> None:
    merchant = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    other_app = await platform.token(merchant.partner_id, sandbox=False, scopes=SCOPES)
    rival = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    member = await member_with(platform.live, merchant.partner_id, stored_value=500)
    stranger = await member_with(platform.live, merchant.partner_id)
    made = (await graphql(PAY, _external(800, member, stored_value=500), token=merchant))
    payment_id = made["data"]["createPayment"]["payment"]["id"]
    member_token = await _member_token(platform, member)

    seen = {name: await graphql(PAYMENT, {"id": payment_id}, token=token) for name, token in [
        ("merchant", merchant), ("other app", other_app), ("rival", rival),
        ("member", member_token),
        ("stranger", await _member_token(platform, stranger))]}

    for name in ("merchant", "other app", "member"):
        assert seen[name]["data"]["payment"]["member"] == {"id": member}, name
    for name in ("rival", "stranger"):
        assert seen[name]["data"]["payment"] is None, name
        assert seen[name]["errors"][0]["extensions"]["code"] == "FORBIDDEN", name
    settled = await graphql('{ settlements(from: "2026-01-01", to: "2026-01-02") { date } }',
                            token=member_token)
    assert settled["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_settlements_merchant_id_is_for_the_operator(platform: Platform,
                                                           graphql: GraphQL) -> None:
    merchant = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    query = """query($m: ID) { settlements(from: "2026-01-01", to: "2026-01-31",
                                           merchantId: $m) { gross { amount } } }"""

    own = await graphql(query, {"m": None}, token=merchant)
    other = await graphql(query, {"m": new_id("ptn")}, token=merchant)
    too_long = await graphql(query.replace("2026-01-31", "2026-12-31"), {"m": None},
                             token=merchant)

    assert own["data"] == {"settlements": []}
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def _cli(platform: Platform, ferretdb: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "LOOPGATE_MONGODB_URI": ferretdb, "LOOPGATE_DB": platform.live.name,
           "LOOPGATE_ISSUER": platform.base_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "sandbox", "pay", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_loopgate_sandbox_pay_pays_and_fails_payments_on_the_running_server(
        platform: Platform, graphql: GraphQL, ferretdb: str) -> None:
    token = await platform.token(await platform.partner(), sandbox=True, scopes=SCOPES)
    first = (await graphql(PAY, _external(300), token=token))["data"]["createPayment"]
    second = (await graphql(PAY, _external(400), token=token))["data"]["createPayment"]

    paid = await _cli(platform, ferretdb, first["payment"]["id"])
    failed = await _cli(platform, ferretdb, second["payment"]["id"], "--fail")
    again = await _cli(platform, ferretdb, first["payment"]["id"])
    unknown = await _cli(platform, ferretdb, new_id("pay"))

    assert paid[:2] == (0, f"{first['payment']['id']} SUCCEEDED\n"), paid
    assert failed[:2] == (0, f"{second['payment']['id']} FAILED\n"), failed
    assert again[0] != 0 and "SUCCEEDED, not waiting" in again[2], again
    assert unknown[0] != 0 and "unknown_payment" in unknown[2], unknown
    statuses = [(await graphql(PAYMENT, {"id": p["payment"]["id"]}, token=token))["data"][
        "payment"]["status"] for p in (first, second)]
    assert statuses == ["SUCCEEDED", "FAILED"]


CANCEL = """mutation($input: CancelPaymentInput!) { cancelPayment(input: $input) {
  payment { status } userErrors { code field } } }"""
REFUND = """mutation($input: RefundPaymentInput!) { refundPayment(input: $input) {
  refund { status } payment { amountRefunded { amount } } userErrors { code field } } }"""


async def test_another_merchants_payment_is_neither_canceled_nor_refunded(
        platform: Platform, graphql: GraphQL) -> None:
    merchant = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    rival = await platform.token(await platform.partner(), sandbox=False, scopes=SCOPES)
    waiting = (await graphql(PAY, _external(500), token=merchant))["data"]["createPayment"]
    paid = (await graphql(PAY, _external(700), token=merchant))["data"]["createPayment"]
    await _notify(platform, paid["payment"]["id"])

    def cancel(payment: dict, key: str) -> dict:
        return {"input": {"paymentId": payment["payment"]["id"], "idempotencyKey": key}}

    def refund(payment: dict, amount: int, key: str) -> dict:
        return {"input": {"paymentId": payment["payment"]["id"], "amount": {"amount": amount},
                          "idempotencyKey": key}}

    answers = [
        await graphql(CANCEL, cancel(waiting, "c1"), token=rival),
        await graphql(REFUND, refund(paid, 100, "r1"), token=rival),
        await graphql(CANCEL, cancel(paid, "c2"), token=merchant),
        await graphql(REFUND, refund(waiting, 100, "r2"), token=merchant),
        await graphql(REFUND, refund(paid, 800, "r3"), token=merchant),
        await graphql(REFUND, {"input": {**refund(paid, 100, "r4")["input"],
                                         "amount": {"amount": 100, "currency": "USD"}}},
                      token=merchant),
    ]
    codes = [(a["data"][k]["userErrors"][0]["code"]) for a in answers
             for k in a["data"]]
    assert codes == ["FORBIDDEN", "FORBIDDEN", "ILLEGAL_TRANSITION", "INVALID",
                     "REFUND_EXCEEDS_PAYMENT", "CURRENCY_MISMATCH"]

    done = await graphql(REFUND, refund(paid, 700, "r5"), token=merchant)
    reused = await graphql(REFUND, refund(paid, 1, "r5"), token=merchant)
    canceled = await graphql(CANCEL, cancel(waiting, "c3"), token=merchant)
    assert done["data"]["refundPayment"]["refund"] == {"status": "SUCCEEDED"}
    assert done["data"]["refundPayment"]["payment"] == {"amountRefunded": {"amount": 700}}
    assert reused["data"]["refundPayment"]["userErrors"] == [
        {"code": "IDEMPOTENCY_KEY_REUSED", "field": ["input", "idempotencyKey"]}]
    assert canceled["data"]["cancelPayment"]["payment"] == {"status": "CANCELED"}
