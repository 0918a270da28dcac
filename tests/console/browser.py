"""Headless Chromium for the console's end-to-end tests: Debian's ``chromium`` (installed by
``scripts/ensure-chromium`` when missing) driven by Playwright for Python with the browser's
executable path set; Playwright's own browser downloads are never used.

Screenshots go to ``$LOOPGATE_SCREENSHOT_DIR``, by default ``console-screenshots`` under
pytest's base temporary directory (printed at the end of the session's first use).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
_ENSURE = Path(__file__).resolve().parents[2] / "scripts" / "ensure-chromium"


def ensure_chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        done = subprocess.run(["bash", str(_ENSURE)], capture_output=True, text=True,
                              timeout=900, check=False)
        if done.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
            pytest.fail(f"Chromium is needed for the console's browser tests and could not be "
                        f"installed:\n{done.stderr[-2000:]}")
    return CHROMIUM


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("LOOPGATE_SCREENSHOT_DIR")
                  or tmp_path_factory.getbasetemp() / "console-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = ensure_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser context (own cookies) and page at desktop size."""
    context = await browser.new_context(viewport=DESKTOP)
    opened = await context.new_page()
    opened.set_default_timeout(20_000)
    try:
        yield opened
    finally:
        await context.close()
