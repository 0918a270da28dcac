"""The merchant pages over plain HTTP (no browser): who may open them, the board's buttons as
forms (idempotent, CSRF-checked), the redemption screen's outcomes in words, the campaign
dashboard's figures, and the live streams the pages' scripts read as the signed-in person."""

from __future__ import annotations

import asyncio
import contextlib
import html as html_module
import re
from datetime import timedelta
from typing import Any

import httpx

from schema.kernel.time import utcnow
from schema.marketing.codes import new_code
from tests.console.merchant.conftest import Shop
from tests.console.test_signin_http import csrf_of, signed_in_client
from tests.marketing import helpers as marketing
from tests.subscriptions.conftest import sse_events

CAMPAIGN_STREAM = """subscription($id: ID!, $after: ID) { campaignStatsUpdated(campaignId: $id,
  after: $after) { sold redeemed topStores { store { code } redeemed } } }"""


def board(shop: Shop, store: str) -> str:
    return f"/console/stores/{shop.store(store)}/orders"


def redeem_page(shop: Shop, store: str) -> str:
    return f"/console/stores/{shop.store(store)}/redeem"


def form_of(html: str, order_id: str, target: str) -> dict[str, str]:
    """The hidden fields of the card button moving ``order_id`` to ``target``."""
    for form in re.findall(r'<form method="post"[^>]*class="move">(.*?)</form>', html):
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        if fields.get("order") == order_id and fields.get("to") == target:
            return fields
    raise AssertionError(f"no button moving {order_id} to {target}")


def flash(html: str) -> str:
    found = re.search(r'<p class="(?:notice|error)" role="(?:status|alert)">(.*?)</p>', html)
    assert found, html
    return html_module.unescape(found.group(1))


async def test_each_merchant_page_answers_its_roles(shop: Shop) -> None:
    pages = {"/console/campaigns": {"shop_admin"}, "/console/desk": {"shop_admin", "shop_staff"},
             board(shop, "s1"): {"shop_admin", "shop_staff"},
             board(shop, "s2"): {"shop_admin"},
             redeem_page(shop, "s1"): {"shop_staff"}, redeem_page(shop, "s2"): set()}
    for who in ("shop_admin", "shop_staff"):
        async with signed_in_client(shop.console, who) as http:
            for path, may in pages.items():
                answer = await http.get(path)
                assert answer.status_code == (200 if who in may else 403), (who, path)
    async with signed_in_client(shop.console, "developer") as http:
        for path in ("/console/campaigns", "/console/desk", board(shop, "s1")):
            answer = await http.get(path)
            assert answer.status_code == 403 and "This page is for" in answer.text


async def test_staff_of_one_store_opening_another_stores_board_are_told_why(
        shop: Shop) -> None:
    async with signed_in_client(shop.console, "shop_staff") as http:
        for path in (board(shop, "s2"), redeem_page(shop, "s2")):
            answer = await http.get(path)
            assert answer.status_code == 403
            assert f"Store {shop.store('s2')} is not one of your stores" in answer.text
        moved = await http.post(board(shop, "s2"), data={
            "csrf": await csrf_of(http), "order": "ord_x", "to": "ACCEPTED", "key": "k"})
        assert moved.status_code == 403


async def test_the_desk_lists_the_stores_and_their_pages(shop: Shop) -> None:
    async with signed_in_client(shop.console, "shop_staff") as http:
        desk = (await http.get("/console/desk")).text
        assert board(shop, "s1") in desk and redeem_page(shop, "s1") in desk
        assert shop.store("s2") not in desk
        assert 'href="/console/desk"' in (await http.get("/console")).text
    async with signed_in_client(shop.console, "shop_admin") as http:
        desk = (await http.get("/console/desk")).text
        assert board(shop, "s1") in desk and board(shop, "s2") in desk
        assert "/redeem" not in desk


async def test_the_board_shows_open_orders_and_moves_them_once_per_press(shop: Shop) -> None:
    order_id = await shop.paid_order("s1")
    elsewhere = await shop.paid_order("s2")
    async with signed_in_client(shop.console, "shop_staff") as http:
        page = (await http.get(board(shop, "s1"))).text
        assert f'id="order-{order_id}"' in page and elsewhere not in page
        assert 'data-status="PAID"' in page and "live-stream.js" in page
        fields = form_of(page, order_id, "ACCEPTED")
        answer = await http.post(board(shop, "s1"), data=fields)
        assert answer.status_code == 303 and answer.headers["location"] == board(shop, "s1")
        assert await shop.status(order_id) == "ACCEPTED"
        shown = (await http.get(board(shop, "s1"))).text
        assert f"Order {order_id[-6:].upper()} is now accepted." in flash(shown)
        assert form_of(shown, order_id, "PREPARING")

        again = await http.post(board(shop, "s1"), data=fields)   # the same press, resent
        assert again.status_code == 303
        assert "is now accepted" in flash((await http.get(board(shop, "s1"))).text)
        history = (await shop.db["orders"].find_one({"_id": order_id}))["history"]
        assert [h["status"] for h in history].count("ACCEPTED") == 1

        skipped = form_of(shown, order_id, "PREPARING") | {"to": "READY"}
        await http.post(board(shop, "s1"), data=skipped)
        refused = flash((await http.get(board(shop, "s1"))).text)
        assert "was not moved" in refused and await shop.status(order_id) == "ACCEPTED"

        await http.post(board(shop, "s1"), data={**fields, "to": "CANCELED"})
        assert "not one of the board's" in flash((await http.get(board(shop, "s1"))).text)
        assert await shop.status(order_id) == "ACCEPTED"


async def test_a_board_button_without_the_session_csrf_token_moves_nothing(shop: Shop) -> None:
    order_id = await shop.paid_order("s1")
    async with signed_in_client(shop.console, "shop_staff") as http:
        fields = form_of((await http.get(board(shop, "s1"))).text, order_id, "ACCEPTED")
        for csrf in ("forged", None):
            sent = {k: v for k, v in fields.items() if k != "csrf"}
            if csrf:
                sent["csrf"] = csrf
            answer = await http.post(board(shop, "s1"), data=sent)
            assert answer.status_code == 403 and "Form refused" in answer.text
        assert await shop.status(order_id) == "PAID"


def redeem_form(html: str) -> dict[str, str]:
    form = re.search(r'<form method="post"[^>]*class="redeem"(.*?)</form>', html, re.S)
    assert form
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(1)))


async def test_redeeming_a_code_then_again_says_already_redeemed(shop: Shop) -> None:
    voucher_id, code = await shop.voucher()
    async with signed_in_client(shop.console, "shop_staff") as http:
        screen = (await http.get(redeem_page(shop, "s1"))).text
        assert 'label for="code">Voucher code' in screen and "autofocus" in screen
        fields = redeem_form(screen)
        answer = await http.post(redeem_page(shop, "s1"), data={**fields, "code": code})
        assert answer.status_code == 303
        done = flash((await http.get(redeem_page(shop, "s1"))).text)
        assert done.startswith("Redeemed: Coffee voucher (worth 15.00 CNY)") and voucher_id in done
        voucher = await shop.db["vouchers"].find_one({"_id": voucher_id})
        assert voucher["status"] == "REDEEMED" and voucher["redeemedStoreId"] == shop.store("s1")

        resent = await http.post(redeem_page(shop, "s1"), data={**fields, "code": code})
        assert resent.status_code == 303   # the same form again: the same answer, once
        assert flash((await http.get(redeem_page(shop, "s1"))).text).startswith("Redeemed")

        fresh = redeem_form((await http.get(redeem_page(shop, "s1"))).text)
        await http.post(redeem_page(shop, "s1"), data={**fresh, "code": code})
        twice = flash((await http.get(redeem_page(shop, "s1"))).text)
        assert twice.startswith("Not redeemed: Already redeemed")
        assert "VOUCHER_ALREADY_REDEEMED" in twice and code not in twice


async def test_redemption_refusals_are_said_in_words(shop: Shop) -> None:
    expected = {new_code(): "No voucher with that code — check it",
                "ZZZZ-ZZZZ-ZZZZ": "That is not a voucher code", "": "type or scan a code"}
    async with signed_in_client(shop.console, "shop_staff") as http:
        for code, words in expected.items():
            fields = redeem_form((await http.get(redeem_page(shop, "s1"))).text)
            await http.post(redeem_page(shop, "s1"), data={**fields, "code": code})
            said = flash((await http.get(redeem_page(shop, "s1"))).text)
            assert said.startswith("Not redeemed") and words.lower() in said.lower(), said


async def test_a_code_of_a_deal_for_other_stores_is_not_valid_at_this_store(
        shop: Shop) -> None:
    deal_id = await _deal(shop, storeIds=[shop.store("s2")])
    bought = await _buy(shop, deal_id)
    async with signed_in_client(shop.console, "shop_staff") as http:
        fields = redeem_form((await http.get(redeem_page(shop, "s1"))).text)
        await http.post(redeem_page(shop, "s1"), data={**fields, "code": bought["code"]})
        said = flash((await http.get(redeem_page(shop, "s1"))).text)
        assert "Not valid at this store" in said and "VOUCHER_NOT_VALID_AT_STORE" in said
    assert (await shop.db["vouchers"].find_one({"_id": bought["id"]}))["status"] == "ISSUED"


async def test_the_redemption_form_without_the_csrf_token_redeems_nothing(shop: Shop) -> None:
    voucher_id, code = await shop.voucher()
    async with signed_in_client(shop.console, "shop_staff") as http:
        fields = redeem_form((await http.get(redeem_page(shop, "s1"))).text)
        answer = await http.post(redeem_page(shop, "s1"),
                                 data={**fields, "csrf": "forged", "code": code})
        assert answer.status_code == 403 and "nothing was changed" in answer.text
    assert (await shop.db["vouchers"].find_one({"_id": voucher_id}))["status"] == "ISSUED"


async def test_the_dashboard_shows_the_campaign_figures(shop: Shop) -> None:
    async with signed_in_client(shop.console, "shop_admin") as http:
        page = (await http.get("/console/campaigns")).text
        assert f'data-campaign="{shop.campaign_id}"' in page
        assert "campaign-charts.js" in page and 'data-figure="sold"' in page
        assert "Sales per channel" in page and "Redemptions per store" in page
        unknown = (await http.get("/console/campaigns?campaign=cmp_nothere")).text
        assert "Campaign cmp_nothere cannot be shown: " in unknown


async def _first_events(http: httpx.AsyncClient, csrf: str, variables: dict[str, Any],
                        got: asyncio.Queue[Any]) -> None:
    async with http.stream("POST", "/console/stream", json={
            "query": CAMPAIGN_STREAM, "variables": variables},
            headers={"X-CSRF-Token": csrf, "Accept": "text/event-stream"}) as response:
        await got.put(response.status_code)
        async for event in sse_events(response):
            await got.put(event)


async def _until(got: asyncio.Queue[Any], redeemed: int) -> tuple[list[str], str]:
    """Read events until one counts ``redeemed``: the ids seen, and that event's id."""
    ids = []
    while True:
        kind, data, event_id = await asyncio.wait_for(got.get(), 30)
        assert kind == "next", data
        ids.append(event_id)
        stats = data["data"]["campaignStatsUpdated"]
        assert stats["redeemed"] <= redeemed
        if stats["redeemed"] == redeemed:
            assert stats["topStores"][0]["store"]["code"]
            return ids, event_id


async def test_an_admin_follows_campaign_results_and_resumes_after_an_event(
        shop: Shop) -> None:
    _, code = await shop.voucher()
    async with signed_in_client(shop.console, "shop_admin") as http:
        csrf = await csrf_of(http)
        now = await http.post("/console/graphql", headers={"X-CSRF-Token": csrf}, json={
            "query": "query($id: ID!) { campaign(id: $id) { stats { redeemed } } }",
            "variables": {"id": shop.campaign_id}})
        baseline = now.json()["data"]["campaign"]["stats"]["redeemed"]
        got: asyncio.Queue[Any] = asyncio.Queue()
        listening = asyncio.create_task(_first_events(http, csrf, {"id": shop.campaign_id}, got))
        try:
            assert await asyncio.wait_for(got.get(), 30) == 200
            await asyncio.sleep(1.5)
            await redeem_as_staff(shop, code)
            _, seen_id = await _until(got, baseline + 1)
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
        _, later = await shop.voucher()          # sold and redeemed while away
        await redeem_as_staff(shop, later)
        resumed: asyncio.Queue[Any] = asyncio.Queue()
        again = asyncio.create_task(_first_events(
            http, csrf, {"id": shop.campaign_id, "after": seen_id}, resumed))
        try:
            assert await asyncio.wait_for(resumed.get(), 30) == 200
            ids, _ = await _until(resumed, baseline + 2)
            assert seen_id not in ids   # resumed after it: the events since, not it again
        finally:
            again.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await again


async def redeem_as_staff(shop: Shop, code: str) -> None:
    """Redeem ``code`` at s1 through the redemption screen, as the staff's own session."""
    async with signed_in_client(shop.console, "shop_staff") as http:
        fields = redeem_form((await http.get(redeem_page(shop, "s1"))).text)
        await http.post(redeem_page(shop, "s1"), data={**fields, "code": code})
        assert flash((await http.get(redeem_page(shop, "s1"))).text).startswith("Redeemed")


async def _deal(shop: Shop, **overrides: Any) -> str:
    return await marketing.deal(shop.db, marketing.merchant(shop.world.merchant), **overrides)


async def _buy(shop: Shop, deal_id: str) -> dict[str, Any]:
    bought = await marketing.purchase(shop.db, marketing.member_token(shop.member_id), deal_id,
                                      shop.member_id)
    return dict(bought["vouchers"][0])


async def test_an_admin_moves_an_order_from_the_board_too(shop: Shop) -> None:
    order_id = await shop.paid_order("s2")
    async with signed_in_client(shop.console, "shop_admin") as http:
        viewer = await http.post("/console/graphql", headers={"X-CSRF-Token": await csrf_of(
            http)}, json={"query": "{ viewer { scopes } }"})
        scopes = set(viewer.json()["data"]["viewer"]["scopes"])
        assert "orders:write" in scopes and "vouchers:redeem" not in scopes
        fields = form_of((await http.get(board(shop, "s2"))).text, order_id, "ACCEPTED")
        assert (await http.post(board(shop, "s2"), data=fields)).status_code == 303
    assert await shop.status(order_id) == "ACCEPTED"


async def test_the_dashboard_follows_at_most_four_campaigns_at_once(shop: Shop) -> None:
    owner = marketing.merchant(shop.world.merchant)
    for _ in range(4):
        await marketing.deal(shop.db, owner, campaignId=await marketing.campaign(shop.db, owner))
    async with signed_in_client(shop.console, "shop_admin") as http:
        page = (await http.get("/console/campaigns")).text
        assert page.count('<section class="campaign"') == 4
        assert "Live results follow at most 4 campaigns at once" in page
        assert page.count('href="/console/campaigns?campaign=cmp_') == 5
        one = (await http.get(f"/console/campaigns?campaign={shop.campaign_id}")).text
        assert one.count('<section class="campaign"') == 1
        assert f'data-campaign="{shop.campaign_id}"' in one


async def test_an_expired_session_moves_and_redeems_nothing(shop: Shop) -> None:
    order_id = await shop.paid_order("s1")
    voucher_id, code = await shop.voucher()
    async with signed_in_client(shop.console, "shop_staff") as http:
        fields = form_of((await http.get(board(shop, "s1"))).text, order_id, "ACCEPTED")
        redeem = redeem_form((await http.get(redeem_page(shop, "s1"))).text)
        await shop.db["console_sessions"].update_many(
            {"user.email": shop.console.emails["shop_staff"]},
            {"$set": {"expiresAt": utcnow() - timedelta(seconds=1)}})
        for path, data in ((board(shop, "s1"), fields),
                           (redeem_page(shop, "s1"), {**redeem, "code": code})):
            answer = await http.post(path, data=data)
            assert answer.status_code == 303
            assert answer.headers["location"] == "/console/signin?expired=1"
        stream = await http.post("/console/stream", headers={"X-CSRF-Token": fields["csrf"]},
                                 json={"query": CAMPAIGN_STREAM, "variables": {
                                     "id": shop.campaign_id}})
        assert stream.status_code == 401
    assert await shop.status(order_id) == "PAID"
    assert (await shop.db["vouchers"].find_one({"_id": voucher_id}))["status"] == "ISSUED"
