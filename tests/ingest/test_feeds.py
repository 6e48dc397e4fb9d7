"""Feed parsing: entries, keys, text, dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.errors import ParseError
from monitor.ingest.feeds import parse_feed
from monitor.ingest.urls import canonical_url
from monitor.types import FetchResult
from tests.conftest import FIXTURES

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def result(body: bytes, content_type: str = "application/rss+xml") -> FetchResult:
    return FetchResult("https://feeds.example.org/feed", 200, body, content_type)


def test_rss_entries_with_guid_canonical_link_text_and_date() -> None:
    entries = parse_feed(result((FIXTURES / "feeds/desk.xml").read_bytes()), NOW)
    assert [e.key for e in entries] == ["test-wire-0001", "test-wire-0002", "test-wire-0003"]
    first = entries[0]
    assert first.url == "https://wire.test.invalid/2023/10/rail-munitions"
    assert first.title.startswith("Rail cars carry North Korean munitions")
    assert "artillery shells to Russia since September" in first.text
    assert "alert(" not in first.text and "<p>" not in first.text
    assert first.published_at == datetime(2023, 10, 13, 14, 5, tzinfo=UTC)


def test_atom_entry_without_guid_is_keyed_by_canonical_link() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><title>Story &amp; more</title><link href="https://Example.org/s?utm_campaign=x&amp;id=7#top"/>
    <updated>2023-05-01T12:00:00Z</updated><content type="html">&lt;b&gt;Bold&lt;/b&gt; text.</content>
    </entry></feed>"""
    [entry] = parse_feed(result(atom, "application/atom+xml"), NOW)
    assert entry.key == "https://example.org/s?id=7"
    assert entry.title == "Story & more"
    assert entry.text == "Bold text."


def test_absurd_dates_are_dropped() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title>
    <item><title>Garbled</title><guid>f</guid><pubDate>Sat, 45 Foo 20x1 99:00:00 GMT</pubDate></item>
    <item><title>Far future</title><guid>g</guid><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
    <item><title>Ancient</title><guid>h</guid><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>
    </channel></rss>"""
    entries = parse_feed(result(rss), NOW)
    assert [e.published_at for e in entries] == [None, None, None]


def test_json_feed() -> None:
    body = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
      "items": [{"id": "j1", "url": "https://example.org/j1", "title": "Hello",
                 "content_text": "Plain body.", "date_published": "2023-06-01T08:00:00Z"}]}"""
    [entry] = parse_feed(result(body, "application/feed+json"), NOW)
    assert (entry.key, entry.title, entry.text) == ("j1", "Hello", "Plain body.")


@pytest.mark.parametrize("body", [b"<html><body>Not a feed</body></html>", b"\x00\x01garbage"])
def test_not_a_feed_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="feeds.example.org"):
        parse_feed(result(body, "text/html"), NOW)


def test_canonical_url() -> None:
    assert (
        canonical_url("HTTPS://News.Example.org:443/a/b?utm_source=x&id=3&fbclid=y#frag")
        == "https://news.example.org/a/b?id=3"
    )
    assert canonical_url("http://example.org:8080") == "http://example.org:8080/"
