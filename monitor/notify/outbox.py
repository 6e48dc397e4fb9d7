"""Deliver what waits in the outbox to Slack, exactly once, within Slack's limits.

Each alert is taken ("sending") in the database before it is posted and settled after. A sender
that dies in between leaves it "sending": the next run looks for the message in Slack (every
message names its alerts in its metadata) and either records it as sent or posts it again, so
an alert is never posted twice and never lost. Slack's 429 answers pause the channel for the
time Slack asks; transient errors are retried with exponential backoff. A token Slack refuses
(invalid_auth, token_revoked...) pauses delivery to every channel, a channel it refuses
(channel_not_found, not_in_channel, is_archived) pauses that channel: the alerts stay pending
with the reason and the fix as their error (``monitor status``, ``monitor alerts``, the web UI
and the log say so), and one is tried again every :data:`PAUSE_RETRY`, so delivery resumes by
itself once the token or the channel is fixed. Only a message Slack refuses as such fails for
good; ``monitor alerts resend`` (or an admin's button) sends failed alerts again. Posts to one
channel are spaced ``pace`` seconds apart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.alerting import plan_delivery, thread_day
from monitor.backoff import doubling
from monitor.errors import (
    NotifyError,
    PausedNotifyError,
    PermanentNotifyError,
    StorageError,
    ThrottledNotifyError,
)
from monitor.metrics import ALERT_LATENCY, ALERTS
from monitor.notify.messages import SlackMessage, render_alert, render_summary
from monitor.notify.slack import AlertSink
from monitor.store import Repository
from monitor.types import Alert, AlertStatus, Stance

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
# A "sending" alert older than this was left by a sender that died: check Slack for it.
STALE_SENDING = timedelta(minutes=1)  # well past the Slack client's 15 s timeout
RATE_WINDOW = timedelta(hours=1)
# While a token or channel error pauses delivery, one alert is tried again this often.
PAUSE_RETRY = timedelta(minutes=10)
PAUSED = "paused: "  # how the error of an alert waiting for such a fix starts
EVERY_CHANNEL = "*"  # the pause of the whole sink (the token)
INTERRUPTED = "interrupted, and Slack cannot be checked for it: "
# How long a one-off run (`monitor poll --once`) waits out Slack's Retry-After in all.
PATIENCE = timedelta(minutes=2)
CATCH_UP = "Caught up after quiet hours"
BURST = "More evidence (alert limit reached)"


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: list[Alert] = field(default_factory=list)
    failed: list[tuple[Alert, str]] = field(default_factory=list)
    retrying: list[tuple[Alert, str]] = field(default_factory=list)
    muted: list[tuple[Alert, str]] = field(default_factory=list)
    held: list[Alert] = field(default_factory=list)
    batched: list[Alert] = field(default_factory=list)
    recovered: list[Alert] = field(default_factory=list)  # found in Slack after a crash
    paused: list[tuple[Alert, str]] = field(default_factory=list)  # waiting for a fix


def retry_delay(attempts: int) -> timedelta:
    """Backoff before the next try after ``attempts`` failed ones: 30 s, 1 min, 2 min... 1 h."""
    return doubling(FIRST_RETRY, attempts, LAST_RETRY)


class Outbox:
    """Sends due alerts; one instance per process keeps the per-channel pacing."""

    def __init__(
        self,
        repository: Repository,
        sink: AlertSink,
        clock: Callable[[], datetime],
        *,
        interactive: bool = False,
        pace: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repository = repository
        self.sink = sink
        self.clock = clock
        self.interactive = interactive
        self.pace = pace
        self._sleep = sleep
        self._last_post: dict[str, float] = {}
        # channel (or EVERY_CHANNEL) -> until when nothing is posted there, and why (None: a 429)
        self._paused: dict[str, tuple[datetime, str | None]] = {}

    def deliver(self, limit: int = 500) -> DeliveryReport:
        """Settle interrupted sends, then send what is due."""
        report = DeliveryReport()
        self._recover(report)
        now = self.clock()
        alerts = self.repository.due_alerts(now, limit)
        if not alerts:
            return report
        per_channel, per_claim = self.repository.messages_sent_since(now - RATE_WINDOW)
        mutes = self.repository.active_mutes(now)
        plan = plan_delivery(alerts, now, mutes, per_channel, per_claim)
        for alert, reason in plan.muted:
            self.repository.mark_alerts_muted([alert.id], reason)
        report.muted.extend(plan.muted)
        report.held.extend(plan.held)
        for alert in plan.single:
            self._send_one(alert, report)
        for reason, groups in ((CATCH_UP, plan.catch_up), (BURST, plan.summaries)):
            for channel, group in groups.items():
                self._send_summary(channel, group, reason, report)
        _count(report, self.clock())
        return report

    def deliver_patiently(self, patience: timedelta = PATIENCE) -> DeliveryReport:
        """Deliver, then wait out Slack's Retry-After (429s) for at most ``patience`` in all and
        deliver again: a run from cron delivers what it found."""
        report = self.deliver()
        deadline = self.clock() + patience
        while (until := self._throttled_until()) is not None and until <= deadline:
            self._sleep(max(0.0, (until - self.clock()).total_seconds()))
            _merge(report, self.deliver())
        return report

    def _throttled_until(self) -> datetime | None:
        """When the first channel Slack throttled may take posts again (None: none throttled)."""
        now = self.clock()
        ends = [until for until, why in self._paused.values() if why is None and until > now]
        return min(ends, default=None)

    # --- sending ----------------------------------------------------------------------------

    def _send_one(self, alert: Alert, report: DeliveryReport) -> None:
        now = self.clock()
        if self._is_paused(alert.channel, now, [alert], report):
            return
        day = thread_day(now, alert.timezone)
        thread = self.repository.thread(alert.channel, alert.claim_id, day)
        if alert.id not in self.repository.lease_alerts([alert.id], now, thread):
            return  # another sender has it
        message = render_alert(alert, interactive=self.interactive).in_thread(
            thread, broadcast=alert.stance is Stance.CONTRADICTS
        )
        ts = self._post(message, [alert], report)
        if ts is None and message.alert_ids:
            return
        if thread is None and ts:
            self._start_thread(alert, day, ts)
        self.repository.mark_alert_sent(alert.id, ts, self.clock(), thread_ts=thread)
        report.sent.append(alert)

    def _start_thread(self, alert: Alert, day: str, ts: str) -> None:
        try:
            self.repository.record_thread(alert.channel, alert.claim_id, day, ts, self.clock())
        except StorageError:  # another sender started the day's thread at the same moment
            log.info("claim %s already has a thread in %s today", alert.claim_key, alert.channel)

    def _send_summary(
        self, channel: str, group: Sequence[Alert], reason: str, report: DeliveryReport
    ) -> None:
        now = self.clock()
        if self._is_paused(channel, now, group, report):
            return
        taken = self.repository.lease_alerts([a.id for a in group], now)
        alerts = [a for a in group if a.id in taken]
        if not alerts:
            return
        ts = self._post(render_summary(channel, alerts, reason), alerts, report)
        if ts is None:
            return
        for alert in alerts:
            self.repository.mark_alert_sent(alert.id, ts, self.clock(), batched=True)
        report.batched.extend(alerts)

    def _post(
        self, message: SlackMessage, alerts: Sequence[Alert], report: DeliveryReport
    ) -> str | None:
        """Post ``message``; on failure record it on its alerts and return None.

        A sink that gives no message id (the console) returns "" on success.
        """
        self._wait_turn(message.channel)
        try:
            return self.sink.send(message) or ""
        except ThrottledNotifyError as err:
            now = self.clock()
            until = now + timedelta(seconds=err.retry_after)
            self._paused[message.channel] = (until, None)
            for alert in alerts:  # Slack's pause is not the alert's fault: no attempt counted
                self.repository.mark_alert_failed(
                    alert.id, str(err), permanent=False, retry_at=until, attempted=False
                )
                report.retrying.append((alert, str(err)))
            log.warning("Slack paused %s for %.0f s", message.channel, err.retry_after)
        except PausedNotifyError as err:
            self._pause(err, alerts, report)
        except PermanentNotifyError as err:
            for alert in alerts:
                self.repository.mark_alert_failed(alert.id, str(err), permanent=True)
                report.failed.append((alert, str(err)))
            log.error("alerts %s not deliverable: %s", [a.id for a in alerts], err)
        except NotifyError as err:
            now = self.clock()
            for alert in alerts:
                permanent = alert.attempts + 1 >= MAX_ATTEMPTS
                retry_at = now + retry_delay(alert.attempts + 1)
                self.repository.mark_alert_failed(
                    alert.id, str(err), permanent=permanent, retry_at=retry_at
                )
                (report.failed if permanent else report.retrying).append((alert, str(err)))
            log.warning("alerts %s not delivered: %s", [a.id for a in alerts], err)
        return None

    def _pause(
        self, err: PausedNotifyError, alerts: Sequence[Alert], report: DeliveryReport
    ) -> None:
        """Hold every alert for ``err.channel`` (or for every channel) until someone fixes it."""
        until = self.clock() + PAUSE_RETRY
        scope = err.channel or EVERY_CHANNEL
        reason = f"{PAUSED}{err}; to fix: {err.fix}"
        self._paused[scope] = (until, reason)
        for alert in alerts:  # taken for this post; the channel's fault: no attempt counted
            self.repository.mark_alert_failed(
                alert.id, reason, permanent=False, retry_at=until, attempted=False
            )
            report.paused.append((alert, reason))
        where = "every channel" if scope == EVERY_CHANNEL else scope
        log.error(
            "Slack delivery to %s paused: %s; alerts wait (next try %s)", where, reason, until
        )

    def _is_paused(
        self, channel: str, now: datetime, alerts: Sequence[Alert], report: DeliveryReport
    ) -> bool:
        """Whether ``channel`` waits (a 429, or a fix); alerts waiting for a fix get its reason."""
        for scope in (EVERY_CHANNEL, channel):
            until, reason = self._paused.get(scope, (None, None))
            if until is not None and until > now:
                if reason is not None:
                    self.repository.hold_alerts([a.id for a in alerts], reason, until)
                    report.paused.extend((alert, reason) for alert in alerts)
                return True
        return False

    def _wait_turn(self, channel: str) -> None:
        """Keep to one message per ``pace`` seconds in each channel."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.pace - (time.monotonic() - last)
            if wait > 0:
                self._sleep(wait)
        self._last_post[channel] = time.monotonic()

    # --- recovery ---------------------------------------------------------------------------

    def _recover(self, report: DeliveryReport) -> None:
        """Settle alerts a dead sender left "sending": sent if Slack has them, else pending."""
        now = self.clock()
        for alert in self.repository.stale_sending(now - STALE_SENDING):
            oldest = (alert.created_at - timedelta(minutes=1)).timestamp()
            try:
                ts = self.sink.find(alert.channel, alert.id, oldest, alert.thread_ts)
            except PermanentNotifyError as err:  # e.g. no history scopes: it never will be
                reason = f"{INTERRUPTED}{err}; check the channel, then `monitor alerts resend`"
                self.repository.mark_alert_failed(alert.id, reason, permanent=True)
                report.failed.append((alert, reason))
                log.error("alert %d: %s", alert.id, reason)
                continue
            except NotifyError as err:
                log.warning("cannot check Slack for alert %d yet: %s", alert.id, err)
                continue
            if ts is not None:
                self.repository.mark_alert_sent(alert.id, ts, now, thread_ts=alert.thread_ts)
                report.recovered.append(alert)
                log.info("alert %d was posted before an interruption; recorded", alert.id)
            else:
                self.repository.mark_alert_failed(
                    alert.id, "interrupted before Slack answered; sending again",
                    permanent=False, attempted=False,
                )  # fmt: skip


def _merge(report: DeliveryReport, later: DeliveryReport) -> None:
    """Add a later run's outcome: what is still waiting is what the later run says."""
    for done in ("sent", "batched", "failed", "muted", "recovered"):
        getattr(report, done).extend(getattr(later, done))
    report.retrying, report.paused, report.held = later.retrying, later.paused, later.held


def _count(report: DeliveryReport, now: datetime) -> None:
    """Metrics for one delivery run: results, and how long sent alerts waited."""
    for result, alerts in (
        ("sent", report.sent),
        ("batched", report.batched),
        ("failed", [a for a, _ in report.failed]),
        ("retrying", [a for a, _ in report.retrying]),
        ("muted", [a for a, _ in report.muted]),
        ("paused", [a for a, _ in report.paused]),
    ):
        ALERTS.labels(result=result).inc(len(alerts))
    for alert in [*report.sent, *report.batched]:
        ALERT_LATENCY.observe(max(0.0, (now - alert.created_at).total_seconds()))


def waiting_for_a_fix(alerts: Iterable[Alert]) -> dict[str, list[str]]:
    """Why pending alerts wait for a token or channel fix: each reason with its channels (a
    refused token holds every channel for one reason)."""
    found: dict[str, list[str]] = {}
    for alert in alerts:
        reason = alert.last_error or ""
        if alert.status is AlertStatus.PENDING and reason.startswith(PAUSED):
            channels = found.setdefault(reason, [])
            if alert.channel not in channels:
                channels.append(alert.channel)
    return found


def interrupted(alerts: Iterable[Alert]) -> list[Alert]:
    """Failed alerts that were interrupted and could not be checked in Slack."""
    return [
        a
        for a in alerts
        if a.status is AlertStatus.FAILED and (a.last_error or "").startswith(INTERRUPTED)
    ]
