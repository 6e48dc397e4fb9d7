"""One wire story in several outlets is one story with all its outlets; one alert per story."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.judge.stance import MentionsOnly
from monitor.notify.slack import SlackSink
from monitor.pipeline import Pipeline
from monitor.store import open_store
from monitor.watchlists import parse_watchlist
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.servers import LocalServer, Response, SlackAPI
from tests.support.texts import COPY, INDEPENDENT, WIRE

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def feed(*items: tuple[str, str, str]) -> bytes:
    entries = "".join(
        f'<item><title>{escape(t)}</title><link>https://{g}.invalid/</link><guid isPermaLink="false">{g}</guid>'
        f"<description>{escape(d)}</description></item>"
        for g, t, d in items
    )
    return f'<rss version="2.0"><channel><title>F</title>{entries}</channel></rss>'.encode()


def test_wire_copies_make_one_story_and_one_alert_naming_every_outlet(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    feed_server.responses["/a.xml"] = Response(feed(("a-1", "Shells for Moscow", WIRE)))
    feed_server.responses["/b.xml"] = Response(
        feed(
            ("b-1", "North Korea shells sent to Russia", COPY),
            ("b-2", "Intelligence counts a million rounds", INDEPENDENT),
        )
    )
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    desk = parse_watchlist(
        f"""
name: Desk
slack_channel: "#desk"
defaults: {{threshold: 0.2}}
sources:
  - {{name: Wire A, url: "{feed_server.url}/a.xml"}}
  - {{name: Outlet B, url: "{feed_server.url}/b.xml"}}
claims:
  - id: shells
    text: North Korea has sent a million artillery shells to Russia
""",
        tmp_path / "desk.yaml",
    )
    repository.sync_watchlists([desk], NOW)
    pipeline = Pipeline(
        repository,
        Fetcher(FetchPolicy(user_agent="t", allow_private=True)),
        HashingEmbedder(),
        MentionsOnly(),
        SlackSink(slack_api.token, f"{slack_api.url}/api/"),
        clock=lambda: NOW,
        concurrency=1,
    )

    report = pipeline.run_cycle(repository.sources())

    assert sum(p.new_items for p in report.polled) == 3
    items = {i.key: i for i in (repository.item(n) for n in (1, 2, 3))}
    assert items["a-1"].story_id == items["b-1"].story_id
    assert items["b-2"].story_id not in {items["a-1"].story_id, None}
    # Evidence is kept for every item; alerts go out once per story.
    [claim] = repository.claims()
    assert len(repository.evidence_for_claim(claim.id)) == 3
    assert len(slack_api.posted) == 2
    texts = [str(m["blocks"]) for m in slack_api.posted]
    assert any("Wire A, Outlet B" in t for t in texts)
    assert sum("Outlet B" in t and "Wire A" not in t for t in texts) == 1
