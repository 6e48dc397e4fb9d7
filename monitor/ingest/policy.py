"""When to poll a source next, how often, and when to give up on it (pure; ``now`` is passed in).

- After a success the interval adapts to how much the source publishes: many new items per poll
  shorten it, empty polls lengthen it, always within :func:`interval_bounds`.
- After a failure the source backs off exponentially (capped at 6 h), and never comes back
  before the server's ``Retry-After`` (also capped at 6 h).
- A source failing for :data:`DISABLE_AFTER_ERRORS` polls in a row, over at least
  :data:`DISABLE_AFTER`, is disabled with its reason; editing its watchlist enables it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from monitor.backoff import doubling
from monitor.types import Source

MAX_BACKOFF = timedelta(hours=6)
MAX_RETRY_AFTER = timedelta(hours=6)
MIN_ADAPTED = timedelta(minutes=1)
MAX_ADAPTED = timedelta(hours=24)
DISABLE_AFTER_ERRORS = 10
DISABLE_AFTER = timedelta(hours=24)
# New items per poll above which a source counts as busy (poll faster).
BUSY = 2
FASTER = 0.5
SLOWER = 1.25


@dataclass(frozen=True)
class Schedule:
    """What to record after a poll: the next poll, the interval in use, a reason to disable."""

    next_poll_at: datetime
    interval: timedelta
    disabled_reason: str | None = None


def after_success(source: Source, now: datetime, new_items: int) -> Schedule:
    """The schedule after a successful poll (a 304 counts as a poll with no new items)."""
    interval = adapt_interval(source_bounds(source), source.current_interval, new_items)
    return Schedule(now + interval, interval)


def after_failure(
    source: Source, now: datetime, error: str, retry_after: timedelta | None = None
) -> Schedule:
    """The schedule after a failed poll: backoff, ``Retry-After``, or disabling the source."""
    errors = source.error_count + 1
    since = source.failing_since or now
    reason = None
    if errors >= DISABLE_AFTER_ERRORS and now - since >= DISABLE_AFTER:
        reason = f"{errors} failed polls in a row since {since:%Y-%m-%d %H:%M} UTC; last: {error}"
    return Schedule(
        next_poll_at(source.poll_interval, now, errors, retry_after),
        source.current_interval,
        reason,
    )


def next_poll_at(
    interval: timedelta,
    now: datetime,
    consecutive_errors: int,
    retry_after: timedelta | None = None,
) -> datetime:
    """``now + interval`` after a success; exponential backoff after failures, capped at 6 h.

    A server's ``retry_after`` (already capped by :func:`retry_after_delay`) is never undercut.
    """
    if consecutive_errors <= 0:
        return now + interval
    # interval x 2, x 4, ... after 1, 2, ... failures (at most x 1024), capped at MAX_BACKOFF.
    cap = max(MAX_BACKOFF, interval)
    wait = doubling(interval * 2, consecutive_errors, cap, max_doublings=9)
    return now + max(wait, retry_after or timedelta(0))


def retry_after_delay(value: str | None, now: datetime) -> timedelta | None:
    """A ``Retry-After`` header (delay in seconds or an HTTP date) as a delay from ``now``.

    Capped at 6 h: a server asking for days would otherwise silence a source unseen. None when
    the header is missing or unreadable.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        delay = timedelta(seconds=int(text))
    else:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        delay = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - now
    return min(max(delay, timedelta(0)), MAX_RETRY_AFTER)


def interval_bounds(
    configured: timedelta, low: timedelta | None = None, high: timedelta | None = None
) -> tuple[timedelta, timedelta]:
    """How far adaptation may move a source's interval: the watchlist's ``low`` and ``high``
    (``min_poll_interval`` / ``max_poll_interval``) where given, else a quarter to four times
    the configured one, kept within 1 minute and 24 hours; always including ``configured``."""
    if low is None:
        low = max(configured / 4, MIN_ADAPTED)
    if high is None:
        high = min(configured * 4, MAX_ADAPTED)
    return min(low, configured), max(high, configured)


def source_bounds(source: Source) -> tuple[timedelta, timedelta]:
    """:func:`interval_bounds` of a stored source."""
    return interval_bounds(source.poll_interval, source.min_poll_interval, source.max_poll_interval)


def adapt_interval(
    bounds: tuple[timedelta, timedelta], current: timedelta, new_items: int
) -> timedelta:
    """The next interval: shorter when a poll brings several new items, longer when it brings
    none, unchanged for one; always within ``bounds`` (see :func:`interval_bounds`)."""
    if new_items >= BUSY:
        proposed = current * FASTER
    elif new_items == 0:
        proposed = current * SLOWER
    else:
        proposed = current
    low, high = bounds
    seconds = min(max(proposed, low), high).total_seconds()
    return timedelta(seconds=round(seconds))
