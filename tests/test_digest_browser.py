"""The digest's HTML in a real browser (headless Chromium via Playwright): it reads on a phone.

The full-page screenshot is kept in test-artifacts/ (git-ignored). Chromium comes from the
system (Debian's `chromium`); the test fails when it is missing, it never downloads one.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright

from monitor.digest.deliver import DigestDesk
from monitor.digest.render import render_html
from tests.support.clock import Clock
from tests.support.digests import NOW, desk_with_evidence, make_sender
from tests.support.paths import REPO

ARTIFACTS = REPO / "test-artifacts"


def test_digest_renders_in_chromium_without_overflow_on_a_phone(tmp_path: Path) -> None:
    repository = desk_with_evidence(tmp_path)
    desk = DigestDesk(repository, make_sender(1), "monitor@newsroom.example", Clock(NOW))
    digest = desk.build("desk", date(2026, 3, 10), NOW - timedelta(days=1), NOW)
    page_file = tmp_path / "digest.html"
    page_file.write_text(render_html(digest), encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "digest-375px.png"
    shot.unlink(missing_ok=True)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(chromium).exists(), "Chromium is needed: apt-get install chromium"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(shot), full_page=True)
            text = page.inner_text("body")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            headings = page.locator("h2").all_inner_texts()
            links = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
        finally:
            browser.close()

    assert "Arms desk" in text
    assert "North Korea has shipped a million artillery shells to Russia" in text
    assert "1 contradicting" in text
    assert "HTTP 503 Service Unavailable" in text
    assert overflow <= 0, f"the page is {overflow}px wider than a 375px phone screen"
    assert headings[0] == "North Korea is shipping artillery shells to Russia"
    assert all(link.startswith("https://") for link in links)
    assert shot.stat().st_size > 10_000
