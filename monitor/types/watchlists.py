"""Watchlists, as editors write them: sources, claims, the digest and how alerts reach Slack."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from pathlib import Path

from monitor.types.claims import ClaimSpec, Stance


class SourceKind(StrEnum):
    """How a source is read: a syndication feed or an HTML listing page."""

    FEED = "feed"
    PAGE = "page"


@dataclass(frozen=True)
class SourceSpec:
    """A source as configured in a watchlist."""

    name: str
    url: str
    kind: SourceKind = SourceKind.FEED
    poll_interval: timedelta = timedelta(minutes=15)
    selector: str | None = None
    full_text: bool = False
    # How far the adaptive interval may move (None: a quarter of / four times poll_interval).
    min_poll_interval: timedelta | None = None
    max_poll_interval: timedelta | None = None


@dataclass(frozen=True)
class DigestSpec:
    """Who gets the watchlist's daily digest email, and when (local time in ``timezone``).

    A claim with no new evidence for ``stale_after_days`` days is listed as stale.
    """

    recipients: tuple[str, ...] = ()
    send_at: time = time(7, 0)
    timezone: str = "UTC"
    stale_after_days: int = 7


@dataclass(frozen=True)
class QuietHours:
    """A daily window, in the watchlist's time zone, when alerts wait (may span midnight)."""

    start: time
    end: time

    def __contains__(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class AlertPolicy:
    """How a watchlist's alerts reach Slack: extra channels per stance, quiet hours, limits.

    Beyond ``per_claim_per_hour`` alerts for one claim in one channel (``per_channel_per_hour``
    for the channel), further evidence goes out as one summary message. Contradictions are
    exempt from the per-claim limit: they always get their own message.
    """

    routes: tuple[tuple[Stance, tuple[str, ...]], ...] = ()
    quiet_hours: QuietHours | None = None
    per_claim_per_hour: int = 6
    per_channel_per_hour: int = 30

    def channels(self, main: str, stance: Stance) -> tuple[str, ...]:
        """Every channel an alert of ``stance`` goes to, the watchlist's own first."""
        extra = [c for s, channels in self.routes if s is stance for c in channels]
        return tuple(dict.fromkeys([main, *extra]))


@dataclass(frozen=True)
class Watchlist:
    """A desk's list of claims and the sources to watch for them.

    ``fingerprint`` (SHA-256 of the file's text) tells an edited file from a reloaded one;
    ``managed_in_git``: its file is changed in git only, never by the web UI or API.
    """

    key: str
    name: str
    slack_channel: str
    sources: tuple[SourceSpec, ...]
    claims: tuple[ClaimSpec, ...]
    description: str = ""
    timezone: str = "UTC"
    threshold: float = 0.6
    digest: DigestSpec = field(default_factory=DigestSpec)
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    path: Path | None = None
    fingerprint: str = ""
    managed_in_git: bool = False
