"""Turn feed bytes (RSS, Atom, JSON Feed via feedparser) into feed entries.

Hostile or broken feeds are handled before feedparser sees them: entity declarations that could
expand to gigabytes are refused, and UTF-8 feeds with stray Windows-1252 bytes are repaired.
Each entry comes out once (the first of several with the same GUID), with text only.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from monitor.errors import ParseError
from monitor.ingest.encodings import repaired_utf8
from monitor.ingest.text import html_to_text
from monitor.ingest.urls import web_url
from monitor.types import FeedEntry, FetchResult

# Dates further ahead than this are treated as missing: clocks are wrong, not the future.
_MAX_FUTURE = timedelta(days=2)
_MIN_DATE = datetime(1995, 1, 1, tzinfo=UTC)
# "Billion laughs" nests entities, a quadratic blowup repeats one big entity: both need entity
# declarations. feedparser keeps some and expat limits only the first kind, so we refuse every
# declaration except a single character reference (&#160;). Those are harmless, but feedparser
# garbles them: their DOCTYPE is dropped and its loose parser reads &nbsp; and friends.
_CHARACTER_ENTITY = re.compile(
    rb"""<!ENTITY\s+[\w.:-]+\s+(["'])&#(?:[0-9]{1,7}|x[0-9a-fA-F]{1,6});\1\s*>"""
)
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL)


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's entries and, when it advertises one, its WebSub hub and topic (self URL)."""

    entries: list[FeedEntry]
    hub: str | None = None
    topic: str | None = None


def parse_feed(result: FetchResult, now: datetime) -> list[FeedEntry]:
    """Entries of the feed in ``result`` (RSS, Atom or JSON Feed), in the feed's order."""
    return read_feed(result, now).entries


def read_feed(result: FetchResult, now: datetime) -> ParsedFeed:
    """The feed in ``result`` with its entries and advertised WebSub hub, parsed once."""
    if _looks_like_json(result):
        return ParsedFeed(parse_json_feed(result, now))
    content = _without_entity_declarations(result)
    headers = {"content-location": result.url}
    if result.content_type:
        headers["content-type"] = result.content_type
    content = repaired_utf8(content, result.content_type) or content
    # Text is extracted from entry HTML, so its links need not be made absolute (costly).
    parsed = feedparser.parse(
        content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if parsed.bozo and not parsed.entries:
        reason = parsed.get("bozo_exception", "not a feed")
        raise ParseError(f"{result.url}: not a readable feed: {reason}")
    if not parsed.entries and not parsed.get("version"):
        raise ParseError(f"{result.url}: not a feed (no RSS, Atom or JSON Feed found)")
    entries = (_entry(raw, result.url, now) for raw in parsed.entries)
    hub, topic = _hub_and_topic(parsed.feed.get("links") or [], result.url)
    return ParsedFeed(_unique([entry for entry in entries if entry is not None]), hub, topic)


def _hub_and_topic(links: list[Any], feed_url: str) -> tuple[str | None, str | None]:
    """The first ``rel="hub"`` link and the ``rel="self"`` one (else the feed's URL)."""
    hrefs: dict[str, str] = {}
    for link in links:
        rel, href = str(link.get("rel") or ""), str(link.get("href") or "").strip()
        if rel in ("hub", "self") and href.startswith(("http://", "https://")):
            hrefs.setdefault(rel, href)
    if "hub" not in hrefs:
        return None, None
    return hrefs["hub"], hrefs.get("self", feed_url)


def _without_entity_declarations(result: FetchResult) -> bytes:
    """The feed without its DOCTYPE when it declares only character entities; ParseError when
    it declares any other entity."""
    data = result.content.replace(b"\0", b"")  # so UTF-16 and UTF-32 feeds are read too
    declared = data.count(b"<!ENTITY")
    if not declared:
        return result.content
    if declared != len(list(_CHARACTER_ENTITY.finditer(data))):
        raise ParseError(
            f"{result.url}: refused: the feed declares XML entities in its DOCTYPE "
            "(entity expansion can exhaust memory)"
        )
    return _INTERNAL_SUBSET.sub(b"", result.content, count=1)


def _unique(entries: list[FeedEntry]) -> list[FeedEntry]:
    """The first entry of each key: feeds that repeat a GUID store it once."""
    first: dict[str, FeedEntry] = {}
    for entry in entries:
        first.setdefault(entry.key, entry)
    return list(first.values())


def _entry(raw: Any, feed_url: str, now: datetime) -> FeedEntry | None:
    link = raw.get("link") or ""
    url = web_url(link)
    guid = (raw.get("id") or "").strip()
    key = guid or url
    title = html_to_text(raw.get("title") or "")
    text = _body(raw)
    if not key:
        if not title:
            return None
        key = f"{feed_url}#{title}"
    return FeedEntry(
        key=key,
        url=url or feed_url,
        title=title,
        text=text,
        published_at=_published(raw, now),
    )


def _body(raw: Any) -> str:
    contents = raw.get("content") or []
    best = max((c.get("value") or "" for c in contents), key=len, default="")
    summary = raw.get("summary") or ""
    return html_to_text(best if len(best) >= len(summary) else summary)


def _published(raw: Any, now: datetime) -> datetime | None:
    for field in ("published_parsed", "updated_parsed", "created_parsed"):
        value: time.struct_time | None = raw.get(field) if field in raw else None
        if value is None:
            continue
        try:
            moment = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
        except (OverflowError, ValueError, OSError):
            continue
        if plausible := plausible_date(moment, now):
            return plausible
    return None


def plausible_date(moment: datetime, now: datetime) -> datetime | None:
    """``moment`` if it could be a publication date, else None (wrong clocks, placeholders)."""
    return moment if _MIN_DATE <= moment <= now + _MAX_FUTURE else None


def _looks_like_json(result: FetchResult) -> bool:
    return "json" in result.content_type.lower() or result.content.lstrip()[:1] == b"{"


def parse_json_feed(result: FetchResult, now: datetime) -> list[FeedEntry]:
    """Entries of a JSON Feed (https://jsonfeed.org, versions 1 and 1.1)."""
    try:
        data = json.loads(result.content)
    except (ValueError, UnicodeDecodeError) as err:
        raise ParseError(f"{result.url}: not a readable JSON feed: {err}") from err
    version = data.get("version", "") if isinstance(data, dict) else ""
    if not str(version).startswith("https://jsonfeed.org/version/"):
        raise ParseError(f"{result.url}: JSON without a JSON Feed version")
    entries = []
    for raw in data.get("items") or []:
        if not isinstance(raw, dict):
            continue
        link = str(raw.get("url") or "")
        url = web_url(link)
        key = str(raw.get("id") or "") or url
        title = html_to_text(str(raw.get("title") or ""))
        if not key:
            continue
        html = str(raw.get("content_html") or "")
        text = (
            html_to_text(html) if html else str(raw.get("content_text") or raw.get("summary") or "")
        )
        published = _iso_date(raw.get("date_published") or raw.get("date_modified"), now)
        entries.append(FeedEntry(key, url or result.url, title, text.strip(), published))
    return _unique(entries)


def _iso_date(value: object, now: datetime) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return plausible_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC), now)
