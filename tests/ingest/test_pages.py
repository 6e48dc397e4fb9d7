"""Briefing pages: article links on a listing page, and each article's title, text and date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.errors import FetchError, ParseError
from monitor.ingest.articles import extract_article
from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.ingest.pages import article_links, looks_like_article, read_articles
from monitor.types import FetchResult
from tests.support.paths import FIXTURES
from tests.support.servers import LocalServer, Response

PAGES = FIXTURES / "pages"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
BASE = "https://briefings.example.org"


def page(name: str, url: str = f"{BASE}/news", body: bytes | None = None) -> FetchResult:
    content = body if body is not None else (PAGES / name).read_bytes()
    return FetchResult(url, 200, content, "text/html")


def expected_links() -> list[str]:
    lines = (PAGES / "briefing-room.links.txt").read_text().splitlines()
    return [BASE + line for line in lines if line and not line.startswith("#")]


def test_automatic_detection_finds_the_article_links_and_nothing_else() -> None:
    assert article_links(page("briefing-room.html")) == expected_links()


def test_without_a_main_element_navigation_sidebars_and_footers_are_still_left_out() -> None:
    html = (PAGES / "briefing-room.html").read_text()
    html = html.replace('<main id="content">', "<div>").replace("</main>", "</div>")
    assert article_links(page("", body=html.encode())) == expected_links()


def test_a_selector_picks_the_links_or_the_first_link_inside_each_element() -> None:
    listing = page("briefing-room.html")
    assert article_links(listing, ".news-list h2") == expected_links()
    assert article_links(listing, "aside a") == [
        f"{BASE}/news/2023/09/01/an-older-popular-story-about-something"
    ]


def test_a_page_without_article_links_is_a_parse_error_naming_the_selector() -> None:
    with pytest.raises(ParseError, match=r"no article links found \(selector '\.nothing'\)"):
        article_links(page("briefing-room.html"), ".nothing")
    with pytest.raises(ParseError, match="not a readable HTML page"):
        article_links(page("", body=b""))


@pytest.mark.parametrize(
    ("path", "article"),
    [
        ("/news/2023/10/13/statement", True),  # a date
        ("/briefings/2023-10-11-readout", True),
        ("/news/minister-remarks-on-drones.html", True),  # a slug of several words
        ("/news/press-releases/98765", True),  # an id
        ("/en/news/press-releases/joint-statement", True),  # a deep path
        ("/news", False),
        ("/news/press-releases", False),  # a section
        ("/news/2023", False),  # a year's archive
        ("/tags/north-korea-and-russia", False),
        ("/news/category/statements-by-ministers", False),
        ("/login", False),
        ("/news?page=2", False),
        ("/files/2023/10/11/transcript-of-the-briefing.pdf", False),
    ],
)
def test_what_looks_like_an_article(path: str, article: bool) -> None:
    assert looks_like_article(BASE + path, f"{BASE}/news") is article


def test_links_to_other_sites_are_not_articles_of_this_page() -> None:
    other = "https://elsewhere.example.org/2023/10/13/a-long-story-slug"
    assert not looks_like_article(other, f"{BASE}/news")
    assert looks_like_article("https://www.briefings.example.org/2023/10/13/x", f"{BASE}/news")


def test_an_article_gives_its_title_main_text_and_date_without_scripts_or_boilerplate() -> None:
    article = extract_article(page("rail-munitions.html", f"{BASE}/news/2023/10/13/s"), NOW)
    assert article.title == "Statement on rail shipments of munitions"
    assert article.text.startswith("13 October 2023\nThe ministry has assessed")
    assert "Tikhoretsk" in article.text
    assert "MUST-NOT-APPEAR" not in article.text
    assert article.published_at == datetime(2023, 10, 13, 14, 5, tzinfo=UTC)


def test_an_article_in_windows_1252_is_decoded() -> None:
    article = extract_article(page("drone-deliveries.html"), NOW)
    assert article.title == "Foreign minister’s remarks on drone deliveries"
    assert "“These drones are used against Ukraine’s power stations" in article.text
    assert "COOKIE" not in article.text
    assert article.published_at == datetime(2023, 10, 12, tzinfo=UTC)


def test_a_future_date_is_dropped() -> None:
    html = (PAGES / "rail-munitions.html").read_text().replace("2023-10-13T14", "2031-10-13T14")
    article = extract_article(page("", body=html.encode()), NOW)
    assert article.published_at is None or article.published_at <= NOW


def test_without_a_date_in_the_page_the_date_in_its_path_is_used() -> None:
    html = (PAGES / "rail-munitions.html").read_text()
    html = html.replace('content="2023-10-13T14:05:00+00:00"', 'content=""')
    html = html.replace('<p class="date">13 October 2023</p>', "")
    article = extract_article(page("", f"{BASE}/briefings/2023-10-11-readout", html.encode()), NOW)
    assert article.published_at == datetime(2023, 10, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    "body", [b"", b"<html><head><title>Moved</title></head><body></body></html>"]
)
def test_a_page_without_text_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="no article text|empty page"):
        extract_article(page("", body=body), NOW)


def test_articles_that_fail_are_skipped_and_the_others_read(feed_server: LocalServer) -> None:
    feed_server.responses["/a"] = Response((PAGES / "rail-munitions.html").read_bytes())
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    batch = read_articles(fetcher, [f"{feed_server.url}/a", f"{feed_server.url}/gone"], NOW)
    assert [e.key for e in batch.entries] == [f"{feed_server.url}/a"]
    assert batch.entries[0].title == "Statement on rail shipments of munitions"
    [failure] = batch.failures
    assert "HTTP 404" in str(failure)


def test_when_every_article_fails_the_first_failure_is_raised(feed_server: LocalServer) -> None:
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    with pytest.raises(FetchError, match="none of 2 new articles could be read: .*HTTP 404"):
        read_articles(fetcher, [f"{feed_server.url}/x", f"{feed_server.url}/y"], NOW)


def test_entity_declarations_in_a_page_are_never_expanded() -> None:
    # One 10 kB entity used 20,000 times would be 200 MB; HTML parsing leaves it as text.
    bomb = (
        b'<!DOCTYPE html [\n<!ENTITY a "'
        + b"a" * 10_000
        + b'">\n]>\n<html><body><main><p>'
        + b"&a;" * 20_000
        + b'</p><a href="/news/2023/10/13/statement-on-shipments">Statement</a></main></body></html>'
    )
    listing = page("", body=bomb)
    assert article_links(listing) == [f"{BASE}/news/2023/10/13/statement-on-shipments"]
    assert len(extract_article(listing, NOW).text) < len(bomb)


def test_links_that_cannot_be_parsed_are_skipped() -> None:
    html = b"""<html><head><base href="http://[::1"></head><body><main>
    <a href="http://[::1/2023/10/13/broken-ipv6-link">a</a>
    <a href="https://briefings.example.org:99999/2023/10/13/port-out-of-range">b</a>
    <a href="/news/2023/10/13/statement-on-shipments">c</a></main></body></html>"""
    assert article_links(page("", body=html)) == [f"{BASE}/news/2023/10/13/statement-on-shipments"]
