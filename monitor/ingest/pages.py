"""Briefing pages without a feed: a listing page's article links, then each article.

Links come from the watchlist's CSS ``selector`` when it has one, else from the page's main
content: same-site links whose path looks like an article (a date, a slug of several words, a
numeric id, or a deep path), never navigation, footers, tag, category or login links. Each new
article is then fetched and read with trafilatura (:mod:`monitor.ingest.articles`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement
from trafilatura.utils import load_html

from monitor.errors import FetchError, MonitorError, ParseError, ThrottledError
from monitor.ingest.articles import fetch_article
from monitor.ingest.fetch import Fetcher
from monitor.ingest.urls import canonical_url, web_url
from monitor.types import FeedEntry, FetchResult

log = logging.getLogger(__name__)
ARTICLES_PER_POLL = 20

_BOILERPLATE_TAGS = {"nav", "footer", "aside", "form", "menu", "dialog"}
_BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menubar"}
_BOILERPLATE_WORDS = {
    "nav",
    "navbar",
    "navigation",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "pagination",
    "pager",
    "footer",
    "masthead",
    "cookie",
    "cookies",
    "share",
    "social",
    "skip",
    "tag",
    "tags",
}
_SKIP_SEGMENTS = {
    "tag",
    "tags",
    "category",
    "categories",
    "topic",
    "topics",
    "author",
    "authors",
    "login",
    "log-in",
    "signin",
    "sign-in",
    "logout",
    "register",
    "signup",
    "sign-up",
    "subscribe",
    "account",
    "profile",
    "search",
    "feed",
    "feeds",
    "rss",
    "page",
    "about",
    "contact",
    "privacy",
    "terms",
    "cookies",
    "print",
    "share",
}
# Links to files that are not web pages (a PDF statement cannot be read as an article).
_NOT_HTML = tuple(
    f".{extension}"
    for extension in (
        *("pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip"),
        *("jpg", "jpeg", "png", "gif", "svg", "webp", "mp3", "mp4"),
        *("xml", "rss", "json", "ics"),
    )
)
_PAGING = {"page", "p", "paged", "offset", "start"}
_DATE = re.compile(r"(?:19|20)\d\d[/_-](?:0?[1-9]|1[0-2])(?:[/_-]|$)|(?:19|20)\d\d[01]\d[0-3]\d")
_ID = re.compile(r"\d{5,}")
_WORD_SPLIT = re.compile(r"[-_+.]+")


@dataclass
class ArticleBatch:
    """The articles read from a list of links, and what went wrong with the others."""

    entries: list[FeedEntry] = field(default_factory=list)
    failures: list[MonitorError] = field(default_factory=list)
    throttled: ThrottledError | None = None


# --- finding article links --------------------------------------------------------------------


def article_links(result: FetchResult, selector: str | None = None) -> list[str]:
    """Canonical article links of a listing page, in page order, each once.

    Raises ParseError when the page is not HTML or no article link is found on it.
    """
    tree = load_html(result.content)
    if tree is None:
        raise ParseError(f"{result.url}: not a readable HTML page")
    base = _base_url(tree, result.url)
    if selector:
        hrefs = _selected_hrefs(tree, selector)
        links = [url for url in _absolute(hrefs, base) if url != canonical_url(result.url)]
    else:
        hrefs = _content_hrefs(tree)
        links = [url for url in _absolute(hrefs, base) if looks_like_article(url, result.url)]
    if not links:
        how = f"selector {selector!r}" if selector else "automatic link detection"
        raise ParseError(f"{result.url}: no article links found ({how})")
    return list(dict.fromkeys(links))


def _base_url(tree: HtmlElement, page_url: str) -> str:
    """Where the page's relative links point from: its ``<base href>`` if usable, else itself."""
    try:
        base = urljoin(page_url, (tree.xpath("string(//base/@href)") or "").strip())
    except ValueError:
        return page_url
    return base if web_url(base) else page_url


def _selected_hrefs(tree: HtmlElement, selector: str) -> list[str]:
    """``href`` of each selected link, or of the first link inside each selected element."""
    hrefs = []
    for element in CSSSelector(selector, translator="html")(tree):
        if not isinstance(element, HtmlElement):
            continue
        anchor = element if element.tag == "a" else next(iter(element.iter("a")), None)
        if anchor is not None and anchor.get("href"):
            hrefs.append(anchor.get("href", ""))
    return hrefs


def _content_hrefs(tree: HtmlElement) -> list[str]:
    """``href`` of every link in the page's main content, boilerplate removed."""
    content = _main_content(tree)
    # Never drop a block that holds articles (a wrapper named "with-sidebar", say).
    holders = {a for e in content.iter("article", "main") for a in e.iterancestors()}
    boilerplate = [
        e for e in content.iter() if e is not content and e not in holders and _is_boilerplate(e)
    ]
    for element in boilerplate:
        element.drop_tree()
    return [a.get("href", "") for a in content.iter("a") if a.get("href")]


def _main_content(tree: HtmlElement) -> HtmlElement:
    for query in ("//main", "//*[@role='main']", "//*[@id='content' or @id='main-content']"):
        found = [e for e in tree.xpath(query) if isinstance(e, HtmlElement)]
        if found:
            return found[0]
    body = tree.find("body")
    return body if body is not None else tree


def _is_boilerplate(element: HtmlElement) -> bool:
    if not isinstance(element.tag, str):  # comments, processing instructions
        return False
    if element.tag in _BOILERPLATE_TAGS:
        return True
    if element.tag == "header":
        return not any(a.tag == "article" for a in element.iterancestors())
    if (element.get("role") or "").lower() in _BOILERPLATE_ROLES:
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return any(word in _BOILERPLATE_WORDS for word in _WORD_SPLIT.split(names.replace(" ", "-")))


def _absolute(hrefs: Iterable[str], base: str) -> list[str]:
    """Canonical http(s) URLs of ``hrefs``; links that cannot be parsed are left out."""
    links = []
    for href in hrefs:
        try:
            url = web_url(urljoin(base, href.strip()))
        except ValueError:  # urljoin on a broken IPv6 host
            continue
        if url:
            links.append(url)
    return links


def looks_like_article(url: str, page_url: str) -> bool:
    """True for a same-site link whose path looks like an article rather than a section."""
    parts, page = urlsplit(url), urlsplit(page_url)
    same_page = canonical_url(url) == canonical_url(page_url)
    if same_page or _site(parts.hostname) != _site(page.hostname):
        return False
    path = parts.path.lower()
    segments = [s for s in path.split("/") if s]
    if not segments or path.endswith(_NOT_HTML):
        return False
    if any(s in _SKIP_SEGMENTS for s in segments) or _paginates(parts.query):
        return False
    last = segments[-1].removesuffix(".html").removesuffix(".htm")
    words = [w for w in _WORD_SPLIT.split(last) if w]
    if _DATE.search(path) or len(words) >= 3:
        return True
    if len(segments) >= 2 and _ID.search(last):
        return True
    return len(segments) >= 3 and len(words) >= 2


def _site(host: str | None) -> str:
    host = (host or "").lower()
    return host.removeprefix("www.")


def _paginates(query: str) -> bool:
    return any(key.lower() in _PAGING for key, _ in parse_qsl(query))


# --- reading the articles ---------------------------------------------------------------------


def read_articles(fetcher: Fetcher, urls: Sequence[str], now: datetime) -> ArticleBatch:
    """Fetch and extract each article; keyed by its listed (canonical) URL.

    An article that fails is noted and skipped; a throttling server stops the batch. When every
    article failed, the first failure is raised (the source's poll failed).
    """
    batch = ArticleBatch()
    for url in urls:
        try:
            article = fetch_article(fetcher, url, now)
        except ThrottledError as err:
            batch.throttled = err
            break
        except (FetchError, ParseError) as err:
            log.warning("article %s skipped: %s", url, err)
            batch.failures.append(err)
            continue
        batch.entries.append(
            FeedEntry(url, url, article.title or url, article.text, article.published_at)
        )
    if batch.throttled and not batch.entries:
        raise batch.throttled
    if batch.failures and not batch.entries and not batch.throttled:
        first = batch.failures[0]
        raise type(first)(f"none of {len(batch.failures)} new articles could be read: {first}")
    return batch
