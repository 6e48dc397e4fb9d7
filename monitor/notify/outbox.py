"""Deliver what waits in the outbox; each alert fails alone and is retried later."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from monitor.errors import NotifyError, PermanentNotifyError
from monitor.notify.messages import render_alert
from monitor.notify.slack import AlertSink
from monitor.store import Repository
from monitor.types import Alert, AlertStatus

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: list[Alert] = field(default_factory=list)
    failed: list[tuple[Alert, str]] = field(default_factory=list)
    retrying: list[tuple[Alert, str]] = field(default_factory=list)


def deliver_pending(
    repository: Repository, sink: AlertSink, now: Callable[[], datetime], limit: int = 200
) -> DeliveryReport:
    """Send pending alerts oldest first; record each outcome on its alert."""
    report = DeliveryReport()
    for alert in repository.alerts(AlertStatus.PENDING, limit=limit):
        try:
            ts = sink.send(render_alert(alert))
        except PermanentNotifyError as err:
            repository.mark_alert_failed(alert.id, str(err), permanent=True)
            report.failed.append((alert, str(err)))
            log.error("alert %d not deliverable: %s", alert.id, err)
            continue
        except NotifyError as err:
            permanent = alert.attempts + 1 >= MAX_ATTEMPTS
            repository.mark_alert_failed(alert.id, str(err), permanent=permanent)
            (report.failed if permanent else report.retrying).append((alert, str(err)))
            log.warning(
                "alert %d not delivered (attempt %d): %s", alert.id, alert.attempts + 1, err
            )
            continue
        repository.mark_alert_sent(alert.id, ts, now())
        report.sent.append(alert)
    return report
