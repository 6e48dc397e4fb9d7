"""Build, preview and send watchlists' daily digests; each period at most once.

A digest is claimed in the database (unique per watchlist and period) before it is sent, with a
Message-ID fixed by watchlist and period. When the mail server is down, the digest waits and is
tried again with backoff; a sender that died mid-send is taken over (same window, same
Message-ID). One watchlist's failure never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from monitor.digest.compose import Digest, compose_digest
from monitor.digest.render import email_message
from monitor.digest.schedule import (
    GIVE_UP_AFTER,
    SENDING_STALE,
    due_period,
    local_period,
    message_id,
    retry_delay,
    window_since,
)
from monitor.digest.send import SmtpSender
from monitor.errors import MonitorError, NotifyError, PermanentNotifyError, StorageError
from monitor.store.repository import Repository
from monitor.types import DigestRecord, DigestStatus, DigestSubscription

log = logging.getLogger(__name__)


@dataclass
class DigestReport:
    """What a run of :meth:`DigestDesk.send_due` did."""

    sent: list[DigestRecord] = field(default_factory=list)
    retrying: list[tuple[DigestRecord, str]] = field(default_factory=list)
    failed: list[tuple[DigestRecord | str, str]] = field(default_factory=list)


class DigestDesk:
    """The digest service: what is due, what a digest says, and sending it once."""

    def __init__(
        self,
        repository: Repository,
        sender: SmtpSender,
        mail_from: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.repository = repository
        self.sender = sender
        self.mail_from = mail_from
        self.clock = clock

    # --- what a digest says -------------------------------------------------------------

    def subscription(self, key: str) -> DigestSubscription:
        """The watchlist ``key`` (its file name without .yaml) or the one named ``key``."""
        found = self.repository.digest_subscriptions(key)
        if not found:
            every = self.repository.digest_subscriptions()
            found = [s for s in every if s.watchlist_name == key]
        if not found:
            raise StorageError(f"no watchlist {key!r} in the database (load it with monitor run)")
        return found[0]

    def build(self, key: str, period: date, since: datetime, until: datetime) -> Digest:
        """The digest of watchlist ``key`` for evidence stored in [``since``, ``until``)."""
        [subscription] = self.repository.digest_subscriptions(key)
        spec = subscription.spec
        claims = self.repository.claims(key)
        return compose_digest(
            watchlist_key=key,
            watchlist_name=subscription.watchlist_name,
            period=period,
            since=since,
            until=until,
            timezone=spec.timezone,
            claims=claims,
            evidence=self.repository.digest_evidence(key, since, until),
            last_evidence_at=self.repository.last_evidence_at(key, until),
            sources=self.repository.digest_sources(key),
            stale_after=timedelta(days=spec.stale_after_days),
            near_misses=self.repository.open_near_miss_counts([c.id for c in claims], before=until),
        )

    def preview(self, key: str) -> Digest:
        """The digest the watchlist would get now, without sending or recording anything."""
        subscription = self.subscription(key)
        now = self.clock()
        since = window_since(self.repository.last_digest_until(subscription.watchlist_key), now)
        period = local_period(now, subscription.spec)
        return self.build(subscription.watchlist_key, period, since, now)

    # --- sending ------------------------------------------------------------------------

    def send_due(self, only: str | None = None) -> DigestReport:
        """Retry digests waiting for the mail server, then send every digest due now (only
        the watchlist ``only``'s when given)."""
        report = DigestReport()
        now = self.clock()
        for record in self.repository.unsettled_digests(now, now - SENDING_STALE):
            if only is None or record.watchlist_key == only:
                self._attempt(record.watchlist_key, record, report)
        subscriptions = self.repository.digest_subscriptions()
        if only is not None:
            subscriptions = [s for s in subscriptions if s.watchlist_key == only]
        for subscription in subscriptions:
            try:
                period = due_period(now, subscription.spec)
            except (ValueError, KeyError) as err:  # a zone the system does not know
                report.failed.append((subscription.watchlist_key, str(err)))
                continue
            if period is not None:
                self._attempt(subscription.watchlist_key, self._draft(subscription, period), report)
        return report

    def send_now(self, key: str) -> DigestReport:
        """Send the watchlist's digest for the current period now, even before its send time
        (never a second time for the period)."""
        subscription = self.subscription(key)
        report = DigestReport()
        if not subscription.spec.recipients:
            report.failed.append((subscription.watchlist_key, "the digest has no recipients"))
            return report
        period = local_period(self.clock(), subscription.spec)
        self._attempt(subscription.watchlist_key, self._draft(subscription, period), report)
        return report

    def _draft(self, subscription: DigestSubscription, period: date) -> DigestRecord:
        now = self.clock()
        key = subscription.watchlist_key
        return DigestRecord(
            id=0,
            watchlist_key=key,
            period=period.isoformat(),
            status=DigestStatus.SENDING,
            message_id=message_id(key, period, self.mail_from),
            since=window_since(self.repository.last_digest_until(key), now),
            until=now,
            recipients=subscription.spec.recipients,
            created_at=now,
        )

    def _attempt(self, key: str, draft: DigestRecord, report: DigestReport) -> None:
        """Claim one digest and send it; whatever goes wrong stays with this watchlist."""
        try:
            now = self.clock()
            record = self.repository.lease_digest(key, draft, now, now - SENDING_STALE)
            if record is not None:
                self._send(record, report)
        except MonitorError as err:
            log.error("digest of %s for %s: %s", key, draft.period, err)
            report.failed.append((draft, str(err)))

    def _send(self, record: DigestRecord, report: DigestReport) -> None:
        digest = self.build(
            record.watchlist_key, date.fromisoformat(record.period), record.since, record.until
        )
        try:
            message = email_message(
                digest, self.mail_from, record.recipients, record.message_id, self.clock()
            )
        except ValueError as err:  # a header the email library refuses: this digest's problem
            self._settle(
                record, DigestStatus.FAILED, report, error=f"cannot write the email: {err}"
            )
            return
        try:
            result = self.sender.send(message, record.recipients)
        except PermanentNotifyError as err:
            self._settle(record, DigestStatus.FAILED, report, error=str(err))
        except NotifyError as err:
            self._retry_later(record, str(err), report)
        else:
            status = DigestStatus.SENT if result.accepted else DigestStatus.FAILED
            error = None if result.accepted else "every recipient was refused"
            self._settle(record, status, report, refused=result.refused, error=error)

    def _retry_later(self, record: DigestRecord, error: str, report: DigestReport) -> None:
        now = self.clock()
        if now - record.created_at >= GIVE_UP_AFTER:
            self._settle(record, DigestStatus.FAILED, report, error=f"gave up: {error}")
            return
        retry_at = now + retry_delay(record.attempts + 1)
        self.repository.settle_digest(
            record.id, DigestStatus.RETRYING, now, error=error, retry_at=retry_at
        )
        log.warning(
            "digest of %s for %s: %s; next try at %s",
            record.watchlist_key,
            record.period,
            error,
            retry_at,
        )
        report.retrying.append((record, error))

    def _settle(
        self,
        record: DigestRecord,
        status: DigestStatus,
        report: DigestReport,
        *,
        refused: dict[str, str] | None = None,
        error: str | None = None,
    ) -> None:
        self.repository.settle_digest(record.id, status, self.clock(), refused=refused, error=error)
        for address, answer in (refused or {}).items():
            log.warning("digest of %s: %s refused: %s", record.watchlist_key, address, answer)
        if status is DigestStatus.SENT:
            log.info("digest of %s for %s sent", record.watchlist_key, record.period)
            report.sent.append(record)
        else:
            log.error("digest of %s for %s failed: %s", record.watchlist_key, record.period, error)
            report.failed.append((record, error or "failed"))
