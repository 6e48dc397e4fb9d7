"""One article's HTML → its title, main text and date (trafilatura).

Used for the articles of briefing pages and, for sources that ask for it, to replace a feed's
summary with the full text of the article it links to.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from trafilatura import bare_extraction

from monitor.errors import FetchError, ParseError, ThrottledError
from monitor.ingest.feeds import plausible_date
from monitor.ingest.fetch import Fetcher
from monitor.ingest.text import normalise_space
from monitor.types import FeedEntry, FetchResult

log = logging.getLogger(__name__)

_PATH_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[/_-](0[1-9]|1[0-2])[/_-](0[1-9]|[12]\d|3[01])(?!\d)"
)
# htmldate ignores dates after this many days from now (plausible_date checks again).
_MAX_FUTURE = timedelta(days=2)


@dataclass(frozen=True)
class Article:
    """What an article page says: its title, main text and publication date (when found)."""

    url: str
    title: str
    text: str
    published_at: datetime | None = None


def fetch_article(fetcher: Fetcher, url: str, now: datetime) -> Article:
    """Fetch ``url`` and extract its article; raises FetchError or ParseError."""
    return extract_article(fetcher.fetch(url), now)


def with_full_text(
    fetcher: Fetcher, entries: Sequence[FeedEntry], now: datetime, limit: int
) -> list[FeedEntry]:
    """``entries`` with each summary replaced by its article's full text (the first ``limit``).

    An article that cannot be fetched or read keeps its summary; a throttling server stops the
    fetching (the rest keep theirs too).
    """
    enriched = list(entries)
    for index, entry in enumerate(enriched[:limit]):
        if not entry.url.startswith(("http://", "https://")):
            continue
        try:
            article = fetch_article(fetcher, entry.url, now)
        except ThrottledError as err:
            log.warning("full text stopped at %s, summaries kept: %s", entry.url, err)
            break
        except (FetchError, ParseError) as err:
            log.warning("full text of %s not read, summary kept: %s", entry.url, err)
            continue
        if len(article.text) > len(entry.text):
            published = entry.published_at or article.published_at
            enriched[index] = replace(entry, text=article.text, published_at=published)
    return enriched


def extract_article(result: FetchResult, now: datetime) -> Article:
    """The article in an HTML page: title, main text (no navigation, scripts or comments), date."""
    if not result.content.strip():
        raise ParseError(f"{result.url}: empty page")
    # No URL given: htmldate would prefer a date-only path (/2023/10/13/) to the page's own
    # timestamp; the path is the fallback below instead.
    document = bare_extraction(
        result.content,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params={
            "original_date": True,
            "extensive_search": False,
            "max_date": (now + _MAX_FUTURE).strftime("%Y-%m-%d"),
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
        },
    )
    text = normalise_space(getattr(document, "text", None) or "")
    if not text:
        raise ParseError(f"{result.url}: no article text found")
    title = normalise_space(getattr(document, "title", None) or "")
    return Article(
        url=result.url,
        title=title,
        text=_without_heading(text, title),
        published_at=_date(getattr(document, "date", None), now) or _url_date(result.url, now),
    )


def _without_heading(text: str, title: str) -> str:
    """The text without a first line that only repeats the title (the page's own heading)."""
    first, _, rest = text.partition("\n")
    return rest.strip() if title and first.strip() == title and rest.strip() else text


def _date(value: str | None, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return plausible_date(moment if moment.tzinfo else moment.replace(tzinfo=UTC), now)


def _url_date(url: str, now: datetime) -> datetime | None:
    """The date in an article's path (``/2023/10/13/``, ``2023-10-13``), if any."""
    found = _PATH_DATE.search(urlsplit(url).path)
    if not found:
        return None
    try:
        year, month, day = (int(part) for part in found.groups())
        moment = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
    return plausible_date(moment, now)
