"""Prometheus metrics: what the service did, and how long each stage took.

Counters and histograms live in the default registry; ``/metrics`` on the web server exposes
them with the state of the queues (read from the database at each scrape).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.errors import MonitorError
from monitor.types import ServiceStatus

POLLS = Counter("monitor_polls_total", "Source polls by outcome.", ["outcome"])
ITEMS_FETCHED = Counter("monitor_items_fetched_total", "Entries read from sources.")
ITEMS_STORED = Counter("monitor_items_stored_total", "New items stored.")
ITEMS_JUDGED = Counter("monitor_items_judged_total", "Items matched against claims.")
EVIDENCE = Counter("monitor_evidence_total", "Evidence recorded, by stance.", ["stance"])
ALERTS = Counter("monitor_alerts_total", "Alerts by delivery result.", ["result"])
ERRORS = Counter("monitor_errors_total", "Failures by stage.", ["stage"])
STAGE_SECONDS = Histogram(
    "monitor_stage_seconds",
    "Time spent per stage call (fetch, parse and store per source; embed, match and stance "
    "per judged batch; deliver per run).",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
ALERT_LATENCY = Histogram(
    "monitor_alert_latency_seconds",
    "From an alert being queued (its item judged) to its Slack post.",
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)


@contextmanager
def timed(stage: str) -> Iterator[None]:
    """Observe the time the block takes under ``stage``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        STAGE_SECONDS.labels(stage=stage).observe(time.perf_counter() - start)


class StatusCollector(Collector):
    """Queue and source gauges, read from the database at each scrape."""

    def __init__(self, status: Callable[[], ServiceStatus]) -> None:
        self._status = status

    def collect(self) -> Iterator[Metric]:
        try:
            status = self._status()
        except MonitorError:
            return  # the database is down: the counters still answer
        gauges = {
            "monitor_sources": ("Enabled sources.", status.sources),
            "monitor_sources_failing": (
                "Enabled sources whose last poll failed.",
                status.sources_failing,
            ),
            "monitor_sources_disabled": ("Sources given up on.", status.sources_disabled),
            "monitor_sources_overdue": (
                "Sources more than 5 minutes past their poll time.",
                status.sources_overdue,
            ),
            "monitor_items_unjudged": ("Items waiting to be judged.", status.unjudged),
            "monitor_near_misses_waiting": (
                "Candidates just under their claim's bar waiting for an editor's review.",
                status.near_misses_waiting,
            ),
            "monitor_alerts_pending": ("Alerts waiting to be sent.", status.alerts_pending),
            "monitor_alerts_failed": (
                "Alerts given up on (see monitor alerts).",
                status.alerts_failed,
            ),
        }
        for name, (help_text, value) in gauges.items():
            yield GaugeMetricFamily(name, help_text, value=value)
