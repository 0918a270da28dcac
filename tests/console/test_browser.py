"""The console end to end in headless Chromium against a real serve app: sign in through the
OAuth pages, create an app and rotate its secret, replay a webhook delivery to a real receiver,
a form with a forged CSRF token refused, an expired session sent to sign-in with a message,
store staff refused another store's page; screenshots of the main pages (desktop and phone)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from gateway.embedded.server import free_port
from schema.kernel.time import utcnow
from tests.console.browser import PHONE
from tests.console.conftest import PASSWORD, ConsolePlatform
from tests.partners.webhooks.helpers import Receiver
from tests.sandbox.test_isolation import UPSERT_STORE, store_input


async def sign_in(page: Page, console: ConsolePlatform, who: str) -> None:
    await page.goto(console.base_url + "/console")
    await expect(page.get_by_role("heading", name="Sign in to the Loopgate console")) \
        .to_be_visible()
    await page.get_by_label("Email").fill(console.emails[who])
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("navigation", name="Console")).to_be_visible()


async def go(page: Page, label: str) -> None:
    """Follow a link of the main navigation."""
    await page.get_by_role("navigation", name="Console").get_by_role(
        "link", name=label, exact=True).click()


_UNLABELLED = """() => [...document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button")]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
               && !e.textContent.trim())
  .map(e => e.outerHTML)"""


async def shot(page: Page, folder: Path, name: str) -> None:
    """A full-page screenshot, after checking the page's basics: a language, one h1, and a
    label (or name) on every control."""
    assert await page.get_attribute("html", "lang") == "en"
    if await page.locator("#graphiql").count() == 0:
        assert await page.locator("h1").count() == 1
        assert await page.evaluate(_UNLABELLED) == []
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert (folder / f"{name}.png").stat().st_size > 1000


async def test_sign_in_create_an_app_and_rotate_its_secret(
        page: Page, console: ConsolePlatform, screenshots: Path) -> None:
    await sign_in(page, console, "admin")
    await expect(page.get_by_role("heading", name="Console Mart")).to_be_visible()
    await page.keyboard.press("Tab")   # the first stop is the skip link, then the content
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await shot(page, screenshots, "overview")

    await go(page, "Apps")
    await page.get_by_label("Name").fill("Browser app")
    await page.get_by_role("checkbox", name="orders:read").check()
    await page.get_by_role("button", name="Create app").click()
    first = (await page.locator("output.secret").text_content() or "").strip()
    assert first.startswith("lgs_")
    await page.get_by_role("button", name="Rotate the secret of Browser app").click()
    await expect(page.get_by_text("The previous secret keeps working")).to_be_visible()
    second = (await page.locator("output.secret").text_content() or "").strip()
    assert second.startswith("lgs_") and second != first
    await shot(page, screenshots, "apps-secret-rotated")

    client_id = await page.get_by_role("row").filter(has_text="Browser app").locator(
        "code").first.text_content()
    async with httpx.AsyncClient(base_url=console.base_url) as http:
        for secret in (first, second):   # the old secret works during the overlap
            answer = await http.post("/oauth/token", data={"grant_type": "client_credentials"},
                                     auth=(client_id, secret))
            assert answer.status_code == 200, answer.text
    await page.reload()
    assert await page.locator("output.secret").count() == 0   # shown once

    revoke = page.get_by_role("button", name="Revoke Browser app")
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.dismiss()))
    await revoke.click()
    await expect(revoke).to_be_visible()   # dismissed: nothing sent
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await revoke.click()
    await expect(page.get_by_text("Browser app is revoked")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Browser app")
    await expect(row).to_contain_text("revoked")

    for path, name in (("/console/usage", "usage"), ("/console/team", "team"),
                       ("/console/subgraphs", "subgraphs"), ("/console/schema", "schema")):
        await page.goto(console.base_url + path)
        await expect(page.locator("h1")).to_be_visible()
        await shot(page, screenshots, name)
    await page.set_viewport_size(PHONE)
    await page.goto(console.base_url + "/console/apps")
    await shot(page, screenshots, "apps-phone")
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")


async def test_graphiql_runs_as_the_signed_in_developer(
        page: Page, console: ConsolePlatform, screenshots: Path) -> None:
    await sign_in(page, console, "developer")
    await go(page, "GraphiQL")
    await expect(page.locator(".graphiql-container")).to_be_visible()
    answer = await page.evaluate("""async () => {
        const root = document.getElementById("graphiql");
        const r = await fetch(root.dataset.endpoint, {method: "POST",
          headers: {"Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf},
          body: JSON.stringify({query: "{ viewer { clientId partner { name } } }"})});
        return await r.json(); }""")
    assert answer["data"]["viewer"] == {"clientId": "console",
                                        "partner": {"name": "Console Mart"}}
    await shot(page, screenshots, "graphiql")


async def _eventually(check: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_replay_a_webhook_delivery(page: Page, console: ConsolePlatform,
                                         screenshots: Path) -> None:
    receiver = await Receiver(status=200, port=free_port()).start()
    try:
        await sign_in(page, console, "developer")
        await go(page, "Webhooks")
        await page.get_by_label("URL (https)").fill(receiver.url)
        await page.get_by_role("checkbox", name="store.updated").check()
        await page.get_by_role("button", name="Add endpoint").click()
        await expect(page.get_by_text("Endpoint added.")).to_be_visible()

        token = await console.partner_token()
        await console.graphql(UPSERT_STORE, {"input": store_input("CM-HOOK")}, token)
        await _eventually(lambda: len(receiver.event_ids()) == 1)
        event_id = receiver.event_ids()[0]

        await page.get_by_role("link", name=receiver.url).click()
        row = page.get_by_role("row").filter(has_text=event_id)
        await expect(row).to_contain_text("SUCCEEDED")
        await shot(page, screenshots, "webhook-deliveries")
        await row.get_by_role("button", name=f"Replay the delivery of event {event_id}").click()
        await expect(page.get_by_text("Replayed 1 delivery.")).to_be_visible()
        await _eventually(lambda: receiver.event_ids() == [event_id, event_id])
        await page.get_by_label("Status").select_option("DEAD")
        await page.get_by_role("button", name="Show").click()
        await expect(page.get_by_text("No deliveries here.")).to_be_visible()
        await page.get_by_label("Status").select_option("SUCCEEDED")
        await page.get_by_role("button", name="Show").click()
        await expect(page.get_by_role("row").filter(has_text=event_id)).to_be_visible()
    finally:
        await receiver.stop()


async def test_a_forged_csrf_token_is_refused(page: Page, console: ConsolePlatform,
                                              screenshots: Path) -> None:
    await sign_in(page, console, "admin")
    await page.goto(console.base_url + "/console/apps")
    before = await console.live["oauth_clients"].count_documents({})
    await page.locator("form[action='/console/apps'] input[name=csrf]").evaluate(
        "e => { e.value = 'forged'; }")
    await page.get_by_label("Name").fill("Forged app")
    await page.get_by_role("button", name="Create app").click()
    await expect(page.get_by_role("heading", name="Form refused")).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("nothing was changed")
    assert await console.live["oauth_clients"].count_documents({}) == before
    await shot(page, screenshots, "csrf-refused")


async def test_an_expired_session_returns_to_sign_in_with_a_message(
        page: Page, console: ConsolePlatform, screenshots: Path) -> None:
    await sign_in(page, console, "developer")
    await console.live["console_sessions"].update_many(
        {"user.email": console.emails["developer"]},
        {"$set": {"expiresAt": utcnow() - timedelta(seconds=1)}})
    await go(page, "Webhooks")
    await expect(page.get_by_text("Your console session has expired")).to_be_visible()
    assert page.url.endswith("/console/signin?expired=1")
    await shot(page, screenshots, "session-expired")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Sign in to the Loopgate console")) \
        .to_be_visible()


async def test_store_staff_are_refused_another_store(page: Page, console: ConsolePlatform,
                                                     screenshots: Path) -> None:
    await sign_in(page, console, "staff_a")
    await expect(page.get_by_role("heading", name="Your stores")).to_be_visible()
    await page.get_by_role("link", name=re.compile("CM-A")).click()
    await expect(page.get_by_role("heading", name="CM-A")).to_be_visible()
    response = await page.goto(f"{console.base_url}/console/stores/{console.store_ids['B']}")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text("is not one of your stores")
    await shot(page, screenshots, "staff-other-store-refused")
