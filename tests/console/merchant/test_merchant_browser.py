"""The merchant pages end to end in headless Chromium (Debian's chromium, Playwright): a chart
redrawn when a voucher is redeemed in another session, an order moved on the board while the
board open in another page follows it (and moves made outside the console appear on both),
a voucher redeemed from the redemption screen and refused the second time, another store's
board refused, a forged CSRF token refused; screenshots (desktop and phone) of each page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.console.browser import DESKTOP, PHONE
from tests.console.merchant.conftest import Shop
from tests.console.test_browser import go, shot, sign_in
from tests.orders.helpers import move

SUBSCRIBED_S = 1.5   # a stream starts at the feed's watermark: let it settle before writing


@asynccontextmanager
async def another_session(browser: Browser, shop: Shop, who: str,
                          viewport: dict[str, int] = DESKTOP) -> AsyncIterator[Page]:
    """A page of another browser context (own cookies: another console session)."""
    context = await browser.new_context(viewport=viewport)
    try:
        opened = await context.new_page()
        opened.set_default_timeout(20_000)
        await sign_in(opened, shop.console, who)
        yield opened
    finally:
        await context.close()


async def redeem_on_screen(page: Page, shop: Shop, code: str) -> None:
    await page.goto(f"{shop.console.base_url}/console/stores/{shop.store('s1')}/redeem")
    field = page.get_by_label("Voucher code")
    await expect(field).to_be_focused()      # ready for a scanner: it types, then Enter
    await field.fill(code)
    await field.press("Enter")


async def both_phone_and_desktop(page: Page, screenshots: Path, name: str) -> None:
    await shot(page, screenshots, f"{name}-desktop")
    await page.set_viewport_size(PHONE)
    await shot(page, screenshots, f"{name}-phone")
    await page.set_viewport_size(DESKTOP)


async def test_a_chart_updates_when_a_voucher_is_redeemed_in_another_session(
        page: Page, browser: Browser, shop: Shop, screenshots: Path) -> None:
    _, code = await shop.voucher()
    await sign_in(page, shop.console, "shop_admin")
    await go(page, "Campaigns")
    section = page.locator(f'section[data-campaign="{shop.campaign_id}"]')
    await expect(section).to_have_attribute("data-live", "on")
    redeemed_bar = section.locator('[data-chart="totals"] rect[data-label="Redeemed"]')
    before = int(await redeemed_bar.get_attribute("data-value") or "-1")
    sold = await section.locator('[data-figure="sold"]').text_content()
    await asyncio.sleep(SUBSCRIBED_S)

    async with another_session(browser, shop, "shop_staff", PHONE) as till:
        await redeem_on_screen(till, shop, code)
        await expect(till.get_by_role("status")).to_contain_text("Redeemed: Coffee voucher")

    await expect(redeemed_bar).to_have_attribute("data-value", str(before + 1))
    await expect(section.locator('[data-figure="redeemed"]')).to_have_text(str(before + 1))
    await expect(section.locator('[data-figure="sold"]')).to_have_text(sold or "")
    store_chart = section.locator('[data-chart="stores"] svg[role="img"]')
    await expect(store_chart).to_have_attribute("aria-label", re.compile(
        r"Redemptions per store: .*\d+ redeemed"))
    assert page.url.endswith("/console/campaigns")   # no reload: the same page, redrawn
    await both_phone_and_desktop(page, screenshots, "merchant-campaigns")


async def test_an_order_moved_on_the_board_appears_on_the_board_open_elsewhere(
        page: Page, browser: Browser, shop: Shop, screenshots: Path) -> None:
    order_id = await shop.paid_order("s1")
    board_url = f"{shop.console.base_url}/console/stores/{shop.store('s1')}/orders"
    await sign_in(page, shop.console, "shop_staff")
    await page.goto(board_url)
    card = page.locator(f"#order-{order_id}")
    await expect(page.locator(f'ol[data-status="PAID"] #order-{order_id}')).to_be_visible()
    await expect(page.locator("#board")).to_have_attribute("data-live", "on")

    async with another_session(browser, shop, "shop_admin") as office:
        await office.goto(board_url)
        await expect(office.locator("#board")).to_have_attribute("data-live", "on")
        await asyncio.sleep(SUBSCRIBED_S)

        await card.get_by_role("button", name=re.compile("^Accept")).click()
        await expect(page.locator(f'ol[data-status="ACCEPTED"] #order-{order_id}')) \
            .to_be_visible()
        await expect(page.locator(f"#order-{order_id}").get_by_role(
            "button", name=re.compile("^Start preparing"))).to_be_focused()
        await expect(office.locator(f'ol[data-status="ACCEPTED"] #order-{order_id}')) \
            .to_be_visible()
        assert await shop.status(order_id) == "ACCEPTED"

        # moves made outside the console (the POS, through the API) reach both boards
        await move(shop.db, shop.world.owner, order_id, "PREPARING")
        newcomer = await shop.paid_order("s1")
        for board in (page, office):
            await expect(board.locator(f'ol[data-status="PREPARING"] #order-{order_id}')) \
                .to_be_visible()
            await expect(board.locator(f'ol[data-status="PAID"] #order-{newcomer}')) \
                .to_be_visible()
        await expect(office.locator("#board-news")).to_contain_text("is now")

        # the admin marks it ready; the staff's page follows
        await office.locator(f"#order-{order_id}").get_by_role(
            "button", name=re.compile("^Mark ready")).click()
        await expect(page.locator(f'ol[data-status="READY"] #order-{order_id}')) \
            .to_be_visible()
        assert await shop.status(order_id) == "READY"
    await expect(page.locator('#col-READY .count')).not_to_have_text("(0)")
    await both_phone_and_desktop(page, screenshots, "merchant-order-board")


async def test_redeem_a_voucher_on_the_screen_then_again(
        page: Page, shop: Shop, screenshots: Path) -> None:
    voucher_id, code = await shop.voucher()
    await sign_in(page, shop.console, "shop_staff")
    await go(page, "Store desk")
    await page.get_by_role("link", name=re.compile("^Redeem vouchers")).click()
    await expect(page.get_by_role("heading", name=re.compile("^Redeem a voucher"))) \
        .to_be_visible()
    await both_phone_and_desktop(page, screenshots, "merchant-redeem")
    await redeem_on_screen(page, shop, code)
    await expect(page.get_by_role("status")).to_contain_text("Redeemed: Coffee voucher")
    await expect(page.get_by_label("Voucher code")).to_be_focused()
    await expect(page.get_by_label("Voucher code")).to_have_value("")
    await shot(page, screenshots, "merchant-redeemed")
    voucher = await shop.db["vouchers"].find_one({"_id": voucher_id})
    assert voucher["status"] == "REDEEMED"

    await redeem_on_screen(page, shop, code)
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Not redeemed: Already redeemed")
    await expect(alert).to_contain_text("VOUCHER_ALREADY_REDEEMED")
    await page.set_viewport_size(PHONE)
    await shot(page, screenshots, "merchant-already-redeemed-phone")


async def test_staff_opening_another_stores_board_are_refused(
        page: Page, shop: Shop, screenshots: Path) -> None:
    await sign_in(page, shop.console, "shop_staff")
    response = await page.goto(
        f"{shop.console.base_url}/console/stores/{shop.store('s2')}/orders")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text(
        f"Store {shop.store('s2')} is not one of your stores")
    await shot(page, screenshots, "merchant-other-board-refused")


async def test_a_forged_csrf_token_on_the_redemption_screen_is_refused(
        page: Page, shop: Shop, screenshots: Path) -> None:
    voucher_id, code = await shop.voucher()
    await sign_in(page, shop.console, "shop_staff")
    await page.goto(f"{shop.console.base_url}/console/stores/{shop.store('s1')}/redeem")
    await page.locator("form.redeem input[name=csrf]").evaluate("e => { e.value = 'forged'; }")
    await page.get_by_label("Voucher code").fill(code)
    await page.get_by_role("button", name="Redeem").click()
    await expect(page.get_by_role("heading", name="Form refused")).to_be_visible()
    voucher = await shop.db["vouchers"].find_one({"_id": voucher_id})
    assert voucher["status"] == "ISSUED"
