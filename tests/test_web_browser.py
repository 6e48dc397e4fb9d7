"""The web UI in real headless Chromium (Debian's, driven by Playwright): sign in, add a claim,
preview what it matches, save it, find it on the dashboard. Screenshots go to test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import REPO
from tests.servers import LocalServer, serving_app
from tests.web_desk import PASSWORD, WebDesk, make_desk

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    # Secure cookies, as in production: browsers send them to http://127.0.0.1 too.
    desk = make_desk(tmp_path, feed_server.url, secure_cookies=True)
    yield desk
    desk.fetcher.close()


def test_an_editor_adds_a_claim_in_the_browser(desk: WebDesk) -> None:
    # No skip when Chromium is missing: CI installs it, and this test must then fail loudly.
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt install chromium)"
    ARTIFACTS.mkdir(exist_ok=True)
    claim = "Iran supplies Shahed attack drones to Russia"
    with serving_app(desk.app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        try:
            page.goto(f"{url}/")
            expect(page).to_have_url(f"{url}/login?next=/")
            page.get_by_label("Name").fill("editor")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Claims", exact=True)).to_be_visible()
            page.screenshot(path=ARTIFACTS / "1-dashboard.png", full_page=True)

            page.get_by_role("link", name="Add a claim").click()
            page.get_by_label("Text").fill(claim)
            page.get_by_label("Paraphrases, one a line").fill("Tehran sends drones to Moscow")
            page.get_by_label("Threshold").fill("0.5")
            page.get_by_role("button", name="Preview matches").click()
            preview = page.locator("#preview")
            expect(preview).to_contain_text("1 archived items would match")
            # The hostile item's title is shown as text, and its javascript: link is dead.
            expect(preview).to_contain_text('<script>alert("title")</script>')
            expect(preview.locator("a").first).to_have_attribute("href", "#")
            page.screenshot(path=ARTIFACTS / "2-preview.png", full_page=True)

            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status")).to_contain_text("1 archived items recorded")
            page.screenshot(path=ARTIFACTS / "3-claim.png", full_page=True)

            page.get_by_role("link", name="Dashboard").click()
            expect(page.get_by_role("link", name=claim)).to_be_visible()
            page.screenshot(path=ARTIFACTS / "4-dashboard-with-claim.png", full_page=True)
        finally:
            browser.close()
    assert dialogs == []  # no script from a feed ever ran
