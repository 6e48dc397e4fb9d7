"""WebSub (https://www.w3.org/TR/websub/) subscriptions for feeds that advertise a hub.

When to (re)subscribe is a pure decision on the source and the current time; asking the hub is
one form POST through the :class:`~monitor.ingest.fetch.Fetcher` (so its address guard applies).
The hub then verifies the intent against :mod:`monitor.web.websub`, which makes the subscription
active. Subscribing never raises into a poll: failures are recorded on the source.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Protocol

from monitor.errors import FetchError
from monitor.ingest.fetch import Fetcher
from monitor.types import Source, WebSubState

log = logging.getLogger(__name__)

LEASE_SECONDS = 864_000  # ten days, asked of the hub; it may grant another lease
RENEW_BEFORE = timedelta(hours=24)
# A denied, failed or never-verified subscription is asked for again after this long.
RETRY_AFTER = timedelta(days=1)
# A renewal the hub has not verified yet is asked for again after this long.
RENEW_RETRY = timedelta(hours=1)


def callback_url(public_url: str, source_id: int) -> str:
    """Where the hub verifies intent and pushes content for ``source_id``."""
    return f"{public_url.rstrip('/')}/websub/{source_id}"


def needs_subscription(source: Source, now: datetime) -> bool:
    """True when ``source`` advertises a hub and should (again) ask it for a subscription."""
    if not source.hub_url or not source.topic_url:
        return False
    changed = source.websub_changed_at
    stale = changed is None or now - changed >= RETRY_AFTER
    state = source.websub_state
    if state is WebSubState.NONE:
        return source.websub_error is None or stale
    if state is WebSubState.ACTIVE:
        lease = source.websub_lease_until
        asked_lately = changed is not None and now - changed < RENEW_RETRY
        return (lease is None or lease - now <= RENEW_BEFORE) and not asked_lately
    return stale  # denied, or pending with no verification for a day


def renewals_due(sources: Iterable[Source], now: datetime) -> list[Source]:
    """Active subscriptions whose lease ends within :data:`RENEW_BEFORE`."""
    return [
        s for s in sources if s.websub_state is WebSubState.ACTIVE and needs_subscription(s, now)
    ]


class SubscriptionRecords(Protocol):
    """What :class:`Subscriber` records subscriptions in (the repository): ingestion does not
    import storage, which imports ingestion's pure parts."""

    def sources(self) -> list[Source]: ...

    def set_websub(
        self, source_id: int, state: WebSubState, now: datetime, *, secret: str | None = None
    ) -> None: ...

    def record_websub_error(self, source_id: int, error: str, now: datetime) -> None: ...


class Subscriber:
    """Asks hubs for subscriptions on behalf of sources and records how it went."""

    def __init__(
        self,
        repository: SubscriptionRecords,
        fetcher: Fetcher,
        public_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.repository = repository
        self.fetcher = fetcher
        self.public_url = public_url
        self.clock = clock

    def subscribe_if_needed(self, source: Source) -> bool:
        """Subscribe ``source`` when :func:`needs_subscription` says so; True if it asked."""
        if not needs_subscription(source, self.clock()):
            return False
        return self.subscribe(source)

    def subscribe(self, source: Source) -> bool:
        """POST a subscription request to the source's hub; True when the hub accepted it."""
        if not source.hub_url or not source.topic_url:
            return False
        secret = source.websub_secret or secrets.token_hex(32)
        form = {
            "hub.mode": "subscribe",
            "hub.topic": source.topic_url,
            "hub.callback": callback_url(self.public_url, source.id),
            "hub.lease_seconds": str(LEASE_SECONDS),
            "hub.secret": secret,
        }
        try:
            status = self.fetcher.post_form(source.hub_url, form)
        except FetchError as err:
            return self._failed(source, str(err))
        if status not in (202, 204):
            return self._failed(source, f"{source.hub_url}: hub answered HTTP {status}")
        state = WebSubState.ACTIVE if source.websub_state is WebSubState.ACTIVE else None
        # A renewal stays active (the old lease still holds) until the hub verifies again.
        self.repository.set_websub(
            source.id, state or WebSubState.PENDING, self.clock(), secret=secret
        )
        log.info("source %s: asked %s for a WebSub subscription", source.name, source.hub_url)
        return True

    def renew_due(self) -> int:
        """Renew every active subscription whose lease ends soon; returns how many were asked."""
        due = renewals_due(self.repository.sources(), self.clock())
        return sum(self.subscribe(source) for source in due)

    def _failed(self, source: Source, error: str) -> bool:
        log.warning("source %s: WebSub subscription failed: %s", source.name, error)
        self.repository.record_websub_error(source.id, error, self.clock())
        return False
