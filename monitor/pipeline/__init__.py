"""The pipeline: poll sources, store new items, judge them against claims, deliver alerts.

It wires the parts together; each step's logic lives in its own module: ``polling.py`` (fetch,
read, store, record; host lanes in ``lanes.py``), ``judging.py`` (match, stance, evidence),
delivery in :mod:`monitor.notify.outbox`. The clock is passed in, so tests control time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.metrics import timed
from monitor.notify.outbox import DeliveryReport
from monitor.pipeline.base import default_worker
from monitor.pipeline.judging import JUDGE_BATCH, JudgingMixin
from monitor.pipeline.lanes import BACKLOG_BYTES, SETTLERS, host_lanes
from monitor.pipeline.polling import PollingMixin, PollOutcome
from monitor.types import Source


@dataclass
class CycleReport:
    """What one full cycle (poll, judge, deliver) did."""

    polled: list[PollOutcome] = field(default_factory=list)
    evidence: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def failed_sources(self) -> list[PollOutcome]:
        return [p for p in self.polled if p.error]


class Pipeline(PollingMixin, JudgingMixin):
    """Everything between a source and a delivered alert."""

    def deliver(self, *, patient: bool = False) -> DeliveryReport:
        """Send what waits in the outbox (``patient``: waiting out Slack's 429s, bounded)."""
        with self._delivering, timed("deliver"):
            return self.outbox.deliver_patiently() if patient else self.outbox.deliver()

    def run_cycle(self, sources: Sequence[Source], *, patient: bool = False) -> CycleReport:
        """Poll ``sources``, judge everything new, deliver alerts (``patient``: a one-off run
        waits out Slack's Retry-After, up to a bound, so that it delivers what it found)."""
        report = CycleReport(polled=self.poll_many(sources))
        report.evidence = self.judge_pending()
        report.delivery = self.deliver(patient=patient)
        return report


__all__ = [
    "BACKLOG_BYTES",
    "JUDGE_BATCH",
    "SETTLERS",
    "CycleReport",
    "Pipeline",
    "PollOutcome",
    "default_worker",
    "host_lanes",
]
