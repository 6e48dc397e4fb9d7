"""Turn feed bytes (RSS, Atom, JSON Feed via feedparser) into feed entries."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from monitor.errors import ParseError
from monitor.ingest.text import html_to_text
from monitor.ingest.urls import canonical_url
from monitor.types import FeedEntry, FetchResult

# Dates further ahead than this are treated as missing: clocks are wrong, not the future.
_MAX_FUTURE = timedelta(days=2)
_MIN_DATE = datetime(1995, 1, 1, tzinfo=UTC)


def parse_feed(result: FetchResult, now: datetime) -> list[FeedEntry]:
    """Entries of the feed in ``result``, newest first as the feed lists them."""
    headers = {"content-location": result.url}
    if result.content_type:
        headers["content-type"] = result.content_type
    parsed = feedparser.parse(result.content, response_headers=headers, sanitize_html=False)
    if parsed.bozo and not parsed.entries:
        reason = parsed.get("bozo_exception", "not a feed")
        raise ParseError(f"{result.url}: not a readable feed: {reason}")
    if not parsed.entries and not parsed.get("version"):
        raise ParseError(f"{result.url}: not a feed (no RSS, Atom or JSON Feed found)")
    entries = []
    for raw in parsed.entries:
        entry = _entry(raw, result.url, now)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(raw: Any, feed_url: str, now: datetime) -> FeedEntry | None:
    link = raw.get("link") or ""
    url = canonical_url(link) if link.startswith(("http://", "https://")) else ""
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
        value: time.struct_time | None = raw.get(field)
        if value is None:
            continue
        try:
            moment = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
        except (OverflowError, ValueError, OSError):
            continue
        if _MIN_DATE <= moment <= now + _MAX_FUTURE:
            return moment
    return None
