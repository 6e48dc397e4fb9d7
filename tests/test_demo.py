"""`monitor demo` with the real model: each sample item reaches its claim, and only its claim."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import feedparser
import pytest

from monitor.demo import run_demo
from monitor.settings import load_settings
from monitor.store import open_store

pytestmark = pytest.mark.model

# guid -> the claim it must match (None: must match nothing). Written from monitor/demo/README.md.
EXPECTED = {
    "demo-wire-0001": "dprk-shells-to-russia",
    "demo-wire-0002": None,
    "demo-wire-0003": "iran-buys-russian-aircraft",
    "demo-wire-0004": None,
    "demo-wire-0005": "dprk-troops-for-russia",
    "demo-wire-0006": "dprk-shells-to-russia",
    "demo-nsc-0001": "dprk-missiles-used-in-ukraine",
    "demo-nsc-0002": "alabuga-drone-production",
    "demo-nsc-0003": "iran-shaheds-to-russia",
    "demo-nsc-0004": "iran-missiles-to-russia",
    "demo-nsc-0005": None,
    "demo-mfa-0001": "iran-shaheds-to-russia",
    "demo-mfa-0002": "iran-missiles-to-russia",
    "demo-mfa-0003": None,
    "demo-mfa-0004": "iran-buys-russian-aircraft",
    "demo-mfa-0005": None,
    "demo-tt-0001": "alabuga-drone-production",
    "demo-tt-0002": "iran-missiles-to-russia",
    "demo-tt-0003": "dprk-troops-for-russia",
    "demo-tt-0004": None,
    "demo-tt-0005": None,
}


def demo_links() -> dict[str, str]:
    links = {}
    for feed in resources.files("monitor.demo").joinpath("feeds").iterdir():
        for entry in feedparser.parse(feed.read_bytes()).entries:
            links[entry.link] = entry.id
    return links


def test_demo_alerts_each_item_on_its_own_claim(tmp_path: Path) -> None:
    lines: list[str] = []
    database = tmp_path / "demo.sqlite3"

    run_demo(load_settings(), database, echo=lines.append)

    alerts = open_store(f"sqlite:///{database}").alerts(limit=1000)
    guid_of = demo_links()
    found = {(guid_of[a.item_url], a.claim_key) for a in alerts}
    expected = {(guid, claim) for guid, claim in EXPECTED.items() if claim}
    assert found == expected
    assert set(guid_of.values()) == set(EXPECTED)
    assert "polled 4 feeds: 21 items, 14 alerts" in "\n".join(lines)
    assert all(a.channel == "#demo-arms-desk" for a in alerts)
    stance_of = {guid_of[a.item_url]: a.stance.value for a in alerts}
    # Official denials contradict the claim; the quote is the denial itself.
    for denial in ("demo-wire-0006", "demo-mfa-0001", "demo-mfa-0002"):
        assert stance_of[denial] == "contradicts", denial
    quotes = {guid_of[a.item_url]: a.quote for a in alerts}
    assert "has not supplied Shahed attack drones" in quotes["demo-mfa-0001"]
    # Items that report a transfer as fact never come out as contradictions.
    for report in ("demo-nsc-0001", "demo-nsc-0003", "demo-wire-0001", "demo-wire-0003"):
        assert stance_of[report] in {"supports", "mentions"}, report
