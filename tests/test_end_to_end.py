"""From a watchlist to a Slack alert: `monitor poll --once` against real local servers."""

from __future__ import annotations

import os
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.support.databases import database_url
from tests.support.paths import FIXTURES
from tests.support.servers import LocalServer, Response, SlackAPI

pytestmark = pytest.mark.model


def serve_with_etag(server: LocalServer, path: str, body: bytes, etag: str) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("if-none-match") == etag:
            server.write(handler, Response(status=304, headers={"etag": etag}))
        else:
            headers = {"content-type": "application/rss+xml; charset=utf-8", "etag": etag}
            server.write(handler, Response(body, headers=headers))

    server.responses[path] = route


def run_monitor(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_poll_once_posts_each_new_evidence_to_slack_exactly_once(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    serve_with_etag(feed_server, "/desk.xml", (FIXTURES / "feeds/desk.xml").read_bytes(), '"v1"')
    watchlists = tmp_path / "watchlists"
    watchlists.mkdir()
    template = (FIXTURES / "watchlists/desk.yaml").read_text()
    (watchlists / "desk.yaml").write_text(template.replace("{base_url}", feed_server.url))
    env = {
        "MONITOR_DATABASE_URL": database_url(tmp_path / "monitor.sqlite3"),
        "MONITOR_WATCHLISTS": str(watchlists),
        "SLACK_BOT_TOKEN": slack_api.token,
        "MONITOR_SLACK_API_URL": f"{slack_api.url}/api/",
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
    }

    first = run_monitor(["poll", "--once"], env)

    assert first.returncode == 0, first.stderr
    assert "3 new items" in first.stdout
    assert "2 alerts sent" in first.stdout
    by_claim = {m["metadata"]["event_payload"]["claim_id"]: m for m in slack_api.posted}
    assert sorted(by_claim) == ["dprk-shells", "iran-shaheds"]
    shells = by_claim["dprk-shells"]
    assert shells["channel"] == "#test-desk"
    assert shells["metadata"]["event_type"] == "claim_evidence"
    payload = shells["metadata"]["event_payload"]
    assert payload["watchlist"] == "desk"
    # The link is canonical: tracking parameters are gone.
    assert "<https://wire.test.invalid/2023/10/rail-munitions|" in str(shells["blocks"])
    assert payload["stance"] in {"supports", "mentions"}
    assert 0.6 <= payload["score"] <= 1.0
    rendered = str(shells["blocks"])
    assert "North Korea has shipped more than a thousand containers of artillery shells" in rendered
    assert "North Korea is shipping artillery shells to Russia" in rendered
    assert "Test Desk Wire" in rendered
    assert "alert(" not in rendered  # the script in the feed never reaches Slack
    drones = by_claim["iran-shaheds"]["metadata"]["event_payload"]
    assert "<https://wire.test.invalid/2023/11/tehran-rejects|" in str(
        by_claim["iran-shaheds"]["blocks"]
    )
    # Iran's denial contradicts the claim, and the alert quotes the denial.
    assert drones["stance"] == "contradicts"
    assert "has not sent any Shahed drones" in str(by_claim["iran-shaheds"]["blocks"])
    assert ":red_circle: contradicts" in str(by_claim["iran-shaheds"]["blocks"])

    second = run_monitor(["poll", "--once"], env)

    assert second.returncode == 0, second.stderr
    assert "0 new items" in second.stdout
    assert len(slack_api.posted) == 2
    conditional = [h for m, p, h, _ in feed_server.requests if p == "/desk.xml"][-1]
    assert conditional.get("If-None-Match") == '"v1"'
