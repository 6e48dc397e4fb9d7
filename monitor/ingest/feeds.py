"""Turn feed bytes (RSS, Atom, JSON Feed via feedparser) into feed entries."""

from __future__ import annotations

import calendar
import json
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
    """Entries of the feed in ``result`` (RSS, Atom or JSON Feed), in the feed's order."""
    if _looks_like_json(result):
        return parse_json_feed(result, now)
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
        value: time.struct_time | None = raw.get(field) if field in raw else None
        if value is None:
            continue
        try:
            moment = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
        except (OverflowError, ValueError, OSError):
            continue
        if plausible := _plausible(moment, now):
            return plausible
    return None


def _plausible(moment: datetime, now: datetime) -> datetime | None:
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
        url = canonical_url(link) if link.startswith(("http://", "https://")) else ""
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
    return entries


def _iso_date(value: object, now: datetime) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _plausible(moment if moment.tzinfo else moment.replace(tzinfo=UTC), now)
