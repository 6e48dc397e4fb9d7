"""What `monitor status` and `/metrics` read: the service at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ServiceStatus:
    """The state of the service at a glance (``monitor status``, ``/metrics``)."""

    sources: int
    sources_failing: int
    sources_disabled: int
    sources_overdue: int  # due more than five minutes ago and not polled
    last_success_at: datetime | None
    items: int
    items_last_day: int
    unjudged: int
    evidence_last_day: dict[str, int]
    alerts_pending: int
    alerts_sending: int
    alerts_failed: int
    alerts_sent_last_day: int
    oldest_pending_at: datetime | None
    # Syncs refused for carrying an older copy of a watchlist than the database holds.
    watchlists_refused: tuple[str, ...] = ()
    near_misses_waiting: int = 0  # candidates just under their claim's bar, not reviewed
