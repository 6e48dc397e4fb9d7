"""The web UI in real headless Chromium (Debian's, driven by Playwright): sign in, add a claim,
preview what it matches, save it, find it on the dashboard; create a watchlist and meet the
confirmation page of a removal. Screenshots go to test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.paths import REPO
from tests.support.servers import LocalServer, Response, serving_app
from tests.support.web_desk import PASSWORD, WebDesk, make_desk

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


def test_an_editor_creates_a_watchlist_and_is_asked_before_a_removal(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt install chromium)"
    ARTIFACTS.mkdir(exist_ok=True)
    feed_server.responses["/health.xml"] = Response(
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>H</title></channel></rss>",
        headers={"content-type": "application/rss+xml"},
    )
    with serving_app(desk.app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page()
        try:
            page.goto(f"{url}/login?next=/watchlists")
            page.get_by_label("Name").fill("editor")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("link", name="Arms desk")).to_be_visible()
            page.get_by_role("link", name="New watchlist").click()
            form = page.locator("form.stacked")
            form.locator("[name=key]").fill("health")
            form.locator("[name=name]").fill("Health desk")
            form.locator("[name=slack_channel]").fill("#health")
            form.locator("[name=timezone]").fill("Europe/Berlin")
            form.locator("[name=source_name]").fill("Health wire")
            form.locator("[name=source_url]").fill(f"{feed_server.url}/health.xml")
            form.locator("[name=claim_text]").fill("Measles cases are rising in Europe")
            page.screenshot(path=ARTIFACTS / "5-new-watchlist.png", full_page=True)
            page.get_by_role("button", name="Test the source and create").click()
            expect(page.get_by_role("status")).to_contain_text("Watchlist created")
            page.screenshot(path=ARTIFACTS / "6-watchlist.png", full_page=True)

            # Its only claim cannot go: the confirmation page says why, and offers no button.
            page.get_by_role("link", name="Remove…").first.click()
            expect(page.get_by_role("alert")).to_contain_text("needs at least one")
            page.screenshot(path=ARTIFACTS / "7-remove-refused.png", full_page=True)
            page.get_by_role("link", name="Watchlists").click()
            expect(page.get_by_role("link", name="Health desk")).to_be_visible()
            page.screenshot(path=ARTIFACTS / "8-watchlists.png", full_page=True)
        finally:
            browser.close()
    assert (desk.watchlists / "health.yaml").is_file()
