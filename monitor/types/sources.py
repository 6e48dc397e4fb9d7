"""Ingestion: stored sources with their fetch state, what a fetch and a parse produce, items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from monitor.types.watchlists import SourceKind


class WebSubState(StrEnum):
    """Where a source's WebSub (push) subscription stands."""

    NONE = "none"
    PENDING = "pending"  # asked the hub, waiting for its verification
    ACTIVE = "active"
    DENIED = "denied"


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one conditional GET of a source."""

    url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class FeedEntry:
    """One entry parsed from a feed, before it is stored."""

    key: str
    url: str
    title: str
    text: str
    published_at: datetime | None = None
    # The text's near-duplicate sketch (monitor.ingest.dedup), when the parser computed it.
    sketch: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Source:
    """A stored source with its fetch state.

    ``poll_interval`` is what the watchlist asks for; ``adapted_interval`` is what polling has
    learnt from how often the source publishes (see :mod:`monitor.ingest.policy`).
    """

    id: int
    name: str
    url: str
    kind: SourceKind
    poll_interval: timedelta
    selector: str | None = None
    full_text: bool = False
    min_poll_interval: timedelta | None = None
    max_poll_interval: timedelta | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    error_count: int = 0
    last_duration: float | None = None  # seconds its last poll took
    failing_since: datetime | None = None
    next_poll_at: datetime | None = None
    adapted_interval: timedelta | None = None
    hub_url: str | None = None
    topic_url: str | None = None
    websub_secret: str | None = None
    websub_state: WebSubState = WebSubState.NONE
    websub_lease_until: datetime | None = None
    websub_error: str | None = None
    websub_changed_at: datetime | None = None

    @property
    def current_interval(self) -> timedelta:
        """How often the source is polled now: the adapted interval, else the configured one."""
        return self.adapted_interval or self.poll_interval


@dataclass(frozen=True)
class Item:
    """A stored news item."""

    id: int
    source_id: int
    key: str
    url: str
    title: str
    text: str
    published_at: datetime | None
    fetched_at: datetime
    story_id: int | None = None  # items carrying the same (wire) story share it
