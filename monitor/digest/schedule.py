"""When a watchlist's digest is due, and which period it covers (pure: ``now`` is passed in).

A period is the local date in the digest's time zone: one digest per watchlist per day, due
from its ``send_at`` local time on. A service that was down at send time sends the day's digest
when it comes back, the same day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from monitor.backoff import doubling
from monitor.types import DigestSpec

# Without an earlier digest, a digest covers the day before it.
FIRST_WINDOW = timedelta(days=1)
# Retries while the mail server is down: 1, 2, 4, ... minutes, at most 30.
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(minutes=30)
# A digest the mail server would not take for this long is given up.
GIVE_UP_AFTER = timedelta(hours=12)
# A sender that took a digest this long ago and never settled it died.
SENDING_STALE = timedelta(minutes=15)


def local_period(now: datetime, spec: DigestSpec) -> date:
    """The period (local date in the digest's time zone) that ``now`` falls in."""
    return now.astimezone(ZoneInfo(spec.timezone)).date()


def due_period(now: datetime, spec: DigestSpec) -> date | None:
    """The period whose digest is due at ``now``, or None before the day's send time (and
    for a watchlist without recipients)."""
    if not spec.recipients:
        return None
    local = now.astimezone(ZoneInfo(spec.timezone))
    return local.date() if local.time() >= spec.send_at else None


def window_since(last_until: datetime | None, until: datetime) -> datetime:
    """Where a new digest's window starts: where the last one ended, else a day back."""
    if last_until is None or last_until >= until:
        return until - FIRST_WINDOW
    return last_until


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try to reach the mail server."""
    return doubling(RETRY_FIRST, attempts, RETRY_MAX)


def message_id(watchlist_key: str, period: date, mail_from: str) -> str:
    """The digest's Message-ID, the same on every try: recipients' mail systems (and we) can
    tell a retry after a crash from a new message."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "localhost"
    local = re.sub(r"[^A-Za-z0-9.-]", "-", watchlist_key) or "watchlist"
    return f"<digest.{local}.{period.isoformat()}@{domain}>"
