"""The one backoff rule: doubling from the first wait, capped."""

from __future__ import annotations

from datetime import timedelta

from monitor.backoff import doubling
from monitor.digest.schedule import retry_delay as digest_retry
from monitor.ingest.policy import MAX_BACKOFF
from monitor.notify.outbox import retry_delay as alert_retry

MINUTE = timedelta(minutes=1)


def test_each_failure_doubles_the_wait_up_to_the_cap() -> None:
    assert [doubling(MINUTE, n, 10 * MINUTE) for n in (0, 1, 2, 3, 4, 5)] == [
        MINUTE,
        MINUTE,
        2 * MINUTE,
        4 * MINUTE,
        8 * MINUTE,
        10 * MINUTE,
    ]
    assert doubling(MINUTE, 10_000, timedelta(days=1)) == timedelta(days=1)  # no overflow
    assert doubling(MINUTE, 20, timedelta(days=9), max_doublings=3) == 8 * MINUTE


def test_alerts_and_digests_wait_by_it() -> None:
    assert alert_retry(1) == timedelta(seconds=30) and alert_retry(3) == timedelta(minutes=2)
    assert alert_retry(50) == timedelta(hours=1)
    assert digest_retry(2) == 2 * MINUTE and digest_retry(50) == 30 * MINUTE
    assert timedelta(hours=6) == MAX_BACKOFF
