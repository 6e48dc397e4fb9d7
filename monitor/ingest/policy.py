"""When to poll a source next (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=6)


def next_poll_at(interval: timedelta, now: datetime, consecutive_errors: int) -> datetime:
    """``now + interval`` after a success; exponential backoff after failures, capped at 6 h."""
    if consecutive_errors <= 0:
        return now + interval
    backoff: timedelta = interval * (2 ** min(consecutive_errors, 10))
    return now + min(backoff, max(MAX_BACKOFF, interval))
