"""Daily digest emails: who subscribes, and each period's record of sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from monitor.types.watchlists import DigestSpec


class DigestStatus(StrEnum):
    """Where a watchlist's digest for one period stands."""

    SENDING = "sending"  # claimed by a sender; taken over (same Message-ID) if it died
    RETRYING = "retrying"  # the mail server was unreachable; tried again later
    SENT = "sent"  # accepted for at least one recipient (refusals are recorded)
    FAILED = "failed"  # refused for every recipient, or a permanent SMTP error


@dataclass(frozen=True)
class DigestSubscription:
    """A watchlist whose desk gets a daily digest email, as stored."""

    watchlist_key: str
    watchlist_name: str
    spec: DigestSpec


@dataclass(frozen=True)
class DigestRecord:
    """One watchlist's digest for one period (its local date): what it covers and how its
    sending went. ``refused`` maps each refused recipient to the server's answer."""

    id: int
    watchlist_key: str
    period: str  # YYYY-MM-DD in the digest's time zone
    status: DigestStatus
    message_id: str
    since: datetime
    until: datetime
    recipients: tuple[str, ...]
    created_at: datetime
    refused: tuple[tuple[str, str], ...] = ()
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
