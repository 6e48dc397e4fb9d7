"""WebSub discovery in feeds and the pure (re)subscription decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.ingest.feeds import read_feed
from monitor.ingest.websub import needs_subscription, renewals_due
from monitor.types import FetchResult, Source, SourceKind, WebSubState

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Wire</title>
  <link rel="hub" href="https://hub.example.org/"/>
  %s
  <entry><id>urn:1</id><title>Shells</title><link href="https://wire.example/1"/>
    <updated>2024-02-29T10:00:00Z</updated></entry>
</feed>"""

RSS = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Wire</title>
  <atom:link rel="hub" href="https://hub.example.org/rss"/>
  <atom:link rel="self" href="https://wire.example/rss.xml" type="application/rss+xml"/>
  <item><guid>1</guid><title>Shells</title></item>
</channel></rss>"""


def feed(body: bytes, url: str = "https://wire.example/feed") -> FetchResult:
    return FetchResult(url, 200, body, "application/xml")


def test_an_atom_feed_gives_its_hub_and_self_url_as_topic() -> None:
    self_link = b'<link rel="self" href="https://wire.example/atom.xml"/>'
    parsed = read_feed(feed(ATOM % self_link), NOW)
    assert [e.key for e in parsed.entries] == ["urn:1"]
    assert parsed.hub == "https://hub.example.org/"
    assert parsed.topic == "https://wire.example/atom.xml"


def test_without_a_self_link_the_topic_is_the_feed_url() -> None:
    parsed = read_feed(feed(ATOM % b""), NOW)
    assert (parsed.hub, parsed.topic) == ("https://hub.example.org/", "https://wire.example/feed")


def test_rss_atom_links_are_read() -> None:
    parsed = read_feed(feed(RSS), NOW)
    assert (parsed.hub, parsed.topic) == (
        "https://hub.example.org/rss",
        "https://wire.example/rss.xml",
    )


def test_a_feed_without_a_hub_has_no_topic() -> None:
    body = ATOM.replace(b'<link rel="hub" href="https://hub.example.org/"/>', b"") % b""
    parsed = read_feed(feed(body), NOW)
    assert (parsed.hub, parsed.topic) == (None, None) and len(parsed.entries) == 1


def source(**websub: object) -> Source:
    fields: dict[str, object] = {
        "hub_url": "https://hub.example.org/",
        "topic_url": "https://wire.example/feed",
        **websub,
    }
    return Source(
        1, "Wire", "https://wire.example/feed", SourceKind.FEED, timedelta(minutes=15), **fields
    )  # type: ignore[arg-type]


def test_a_source_with_a_hub_and_no_subscription_subscribes() -> None:
    assert needs_subscription(source(), NOW)
    assert not needs_subscription(source(hub_url=None, topic_url=None), NOW)


def test_a_denial_is_retried_after_a_day() -> None:
    denied = WebSubState.DENIED
    assert not needs_subscription(source(websub_state=denied, websub_changed_at=NOW), NOW)
    a_day_ago = NOW - timedelta(days=1, minutes=1)
    assert needs_subscription(source(websub_state=denied, websub_changed_at=a_day_ago), NOW)


def test_renewal_picks_leases_ending_within_a_day() -> None:
    active = WebSubState.ACTIVE
    last_week = NOW - timedelta(days=7)
    ending = source(
        websub_state=active,
        websub_lease_until=NOW + timedelta(hours=23),
        websub_changed_at=last_week,
    )
    lasting = source(
        websub_state=active,
        websub_lease_until=NOW + timedelta(hours=25),
        websub_changed_at=last_week,
    )
    asked_lately = source(
        websub_state=active,
        websub_lease_until=NOW + timedelta(hours=2),
        websub_changed_at=NOW - timedelta(minutes=10),
    )
    pending = source(websub_state=WebSubState.PENDING, websub_changed_at=NOW)
    assert renewals_due([ending, lasting, asked_lately, pending], NOW) == [ending]
