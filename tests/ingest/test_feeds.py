"""Feed parsing: entries, keys, text, dates."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from monitor.errors import ParseError
from monitor.ingest.feeds import parse_feed
from monitor.ingest.urls import canonical_url
from monitor.types import FetchResult
from tests.support.paths import FIXTURES

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


# --- hostile and broken feeds -----------------------------------------------------------------

BILLION_LAUGHS = (FIXTURES / "feeds/billion-laughs.xml").read_bytes()
# One 10 kB entity used 20,000 times: 200 MB once expanded, from a 70 kB file.
QUADRATIC = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "'
    + b"a" * 10_000
    + b'">\n]>\n<rss version="2.0"><channel><title>T</title><item><title>x</title><guid>g</guid>'
    + b"<description>"
    + b"&a;" * 20_000
    + b"</description></item></channel></rss>"
)


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, QUADRATIC, BILLION_LAUGHS.decode().encode("utf-16")],
    ids=["nested", "quadratic", "utf-16"],
)
def test_entity_expansion_bombs_are_refused_quickly(body: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_feed(result(body), NOW)
    assert time.monotonic() - started < 1.0


def test_character_entity_declarations_are_allowed() -> None:
    rss = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY nbsp "&#160;">
<!ENTITY mdash '&#x2014;'>
]>
<rss version="2.0"><channel><title>T</title>
<item><title>Talks&nbsp;resume &mdash; again</title><guid>a</guid></item></channel></rss>"""
    [entry] = parse_feed(result(rss), NOW)
    assert entry.title == "Talks resume — again"


ENCODED = """<rss version="2.0"><channel><title>T</title>
<item><title>Minister’s café statement — €5m</title><guid>g</guid>
<description>Señor said “no”.</description></item></channel></rss>"""


@pytest.mark.parametrize(
    "body",
    [
        ('<?xml version="1.0" encoding="utf-8"?>' + ENCODED).encode("cp1252"),
        ENCODED.encode("cp1252"),
        ENCODED.encode("utf-8"),
        ('<?xml version="1.0" encoding="windows-1252"?>' + ENCODED).encode("cp1252"),
        ('<?xml version="1.0" encoding="utf-16"?>' + ENCODED).encode("utf-16"),
        # UTF-8 with one curly quote pasted in from a Windows-1252 document.
        ('<?xml version="1.0" encoding="utf-8"?>' + ENCODED)
        .encode()
        .replace("’".encode(), b"\x92"),
    ],
    ids=[
        "declared-utf8-is-cp1252",
        "undeclared-cp1252",
        "undeclared-utf8",
        "cp1252",
        "utf16",
        "mixed",
    ],
)
def test_wrong_or_missing_encodings_are_read_right(body: bytes) -> None:
    [entry] = parse_feed(result(body, "application/rss+xml; charset=utf-8"), NOW)
    assert entry.title == "Minister’s café statement — €5m"
    assert entry.text == "Señor said “no”."


def test_a_guid_repeated_in_one_feed_gives_one_entry_the_first() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title>
    <item><title>Updated</title><guid isPermaLink="false">same</guid></item>
    <item><title>Other</title><guid isPermaLink="false">other</guid></item>
    <item><title>Original</title><guid isPermaLink="false">same</guid></item></channel></rss>"""
    entries = parse_feed(result(rss), NOW)
    assert [(e.key, e.title) for e in entries] == [("same", "Updated"), ("other", "Other")]


def test_html_and_scripts_in_titles_and_descriptions_become_text() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title><item><guid>h</guid>
    <title>&lt;b&gt;Breaking:&lt;/b&gt; talks &lt;script&gt;alert(1)&lt;/script&gt;resume</title>
    <description><![CDATA[<p>Text <script>steal()</script><style>p{color:red}</style><img src=x onerror="alert(1)">more.</p>
    <iframe src="https://evil.example"></iframe><p>Second &amp; last.</p>]]></description>
    </item></channel></rss>"""
    [entry] = parse_feed(result(rss), NOW)
    assert entry.title == "Breaking: talks resume"
    assert entry.text == "Text more.\nSecond & last."


def test_a_link_that_cannot_be_parsed_does_not_fail_the_feed() -> None:
    rss = b"""<rss version="2.0"><channel><title>T</title>
    <item><title>Bad port</title><guid isPermaLink="false">p</guid><link>https://example.org:99999/a</link></item>
    <item><title>Bad IPv6</title><guid isPermaLink="false">v</guid><link>http://[::1/a</link></item>
    </channel></rss>"""
    entries = parse_feed(result(rss), NOW)
    assert [(e.key, e.url) for e in entries] == [
        ("p", "https://feeds.example.org/feed"),
        ("v", "https://feeds.example.org/feed"),
    ]
