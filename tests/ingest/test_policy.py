"""When to poll next: adaptive intervals, backoff, Retry-After and disabling (pure functions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from monitor.ingest.policy import (
    adapt_interval,
    after_failure,
    after_success,
    interval_bounds,
    next_poll_at,
    retry_after_delay,
)
from monitor.types import Source, SourceKind

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
MIN = timedelta(minutes=1)


def source(**state: object) -> Source:
    fields: dict[str, object] = {"poll_interval": timedelta(minutes=15), **state}
    return Source(id=1, name="s", url="https://example.org/feed", kind=SourceKind.FEED, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("configured", "low", "high"),
    [
        (timedelta(minutes=15), timedelta(minutes=3.75), timedelta(hours=1)),
        (timedelta(minutes=2), MIN, timedelta(minutes=8)),  # never below a minute
        (timedelta(hours=12), timedelta(hours=3), timedelta(hours=24)),  # never above a day
        (timedelta(seconds=30), timedelta(seconds=30), timedelta(minutes=2)),  # but as configured
        (timedelta(days=2), timedelta(hours=12), timedelta(days=2)),
    ],
)
def test_interval_bounds(configured: timedelta, low: timedelta, high: timedelta) -> None:
    assert interval_bounds(configured) == (low, high)


def test_busy_sources_are_polled_more_often_quiet_ones_less_within_bounds() -> None:
    configured = timedelta(minutes=20)
    bounds = interval_bounds(configured)
    assert adapt_interval(bounds, configured, new_items=5) == timedelta(minutes=10)
    assert adapt_interval(bounds, configured, new_items=1) == configured
    assert adapt_interval(bounds, configured, new_items=0) == timedelta(minutes=25)
    busy = quiet = configured
    for _ in range(30):
        busy = adapt_interval(bounds, busy, new_items=10)
        quiet = adapt_interval(bounds, quiet, new_items=0)
    assert (busy, quiet) == bounds


def test_the_watchlist_may_set_the_bounds_of_adaptation() -> None:
    fixed = source(
        poll_interval=timedelta(minutes=2),
        min_poll_interval=timedelta(minutes=2),
        max_poll_interval=timedelta(minutes=2),
    )
    for new_items in (0, 0, 0, 5, 5):
        schedule = after_success(fixed, NOW, new_items)
        assert schedule.interval == timedelta(minutes=2)
        fixed = replace(fixed, adapted_interval=schedule.interval)
    # Only the upper bound given: quiet sources slow down to it and no further.
    capped = source(poll_interval=timedelta(minutes=2), max_poll_interval=timedelta(minutes=3))
    interval = capped.current_interval
    for _ in range(10):
        interval = after_success(replace(capped, adapted_interval=interval), NOW, 0).interval
    assert interval == timedelta(minutes=3)
    # A bound on the wrong side of the configured interval never excludes it.
    assert interval_bounds(timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=1)) == (
        timedelta(minutes=5),
        timedelta(minutes=5),
    )


def test_a_busy_source_comes_back_to_normal_when_it_quietens() -> None:
    configured = timedelta(minutes=20)
    interval = timedelta(minutes=5)
    for _ in range(7):
        interval = adapt_interval(interval_bounds(configured), interval, new_items=0)
    assert interval > configured


def test_after_success_schedules_at_the_adapted_interval() -> None:
    schedule = after_success(source(adapted_interval=timedelta(minutes=30)), NOW, new_items=4)
    assert schedule.interval == timedelta(minutes=15)
    assert schedule.next_poll_at == NOW + timedelta(minutes=15)
    assert schedule.disabled_reason is None


def test_backoff_doubles_and_is_capped() -> None:
    interval = timedelta(minutes=15)
    assert next_poll_at(interval, NOW, 0) == NOW + interval
    assert next_poll_at(interval, NOW, 1) == NOW + timedelta(minutes=30)
    assert next_poll_at(interval, NOW, 3) == NOW + timedelta(hours=2)
    assert next_poll_at(interval, NOW, 9) == NOW + timedelta(hours=6)


def test_retry_after_is_never_undercut_but_backoff_may_be_longer() -> None:
    interval = timedelta(minutes=15)
    assert next_poll_at(interval, NOW, 1, timedelta(hours=2)) == NOW + timedelta(hours=2)
    assert next_poll_at(interval, NOW, 1, timedelta(seconds=5)) == NOW + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("header", "delay"),
    [
        ("120", timedelta(seconds=120)),
        (" 3600 ", timedelta(hours=1)),
        ("Fri, 01 Mar 2024 14:30:00 GMT", timedelta(hours=2, minutes=30)),
        ("Fri, 01 Mar 2024 11:00:00 GMT", timedelta(0)),  # already past
        ("999999", timedelta(hours=6)),  # capped
        ("Sat, 01 Mar 2025 12:00:00 GMT", timedelta(hours=6)),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_header(header: str | None, delay: timedelta | None) -> None:
    assert retry_after_delay(header, NOW) == delay


def test_a_source_is_disabled_after_ten_failures_spanning_a_day() -> None:
    since = NOW - timedelta(hours=25)
    schedule = after_failure(source(error_count=9, failing_since=since), NOW, "HTTP 500")
    assert schedule.disabled_reason == (
        "10 failed polls in a row since 2024-02-29 11:00 UTC; last: HTTP 500"
    )


@pytest.mark.parametrize(
    ("errors_before", "failing_for"),
    [(9, timedelta(hours=23)), (5, timedelta(days=3)), (0, timedelta(0))],
)
def test_a_source_is_not_disabled_for_fewer_failures_or_a_shorter_outage(
    errors_before: int, failing_for: timedelta
) -> None:
    state = source(error_count=errors_before, failing_since=NOW - failing_for)
    assert after_failure(state, NOW, "HTTP 500").disabled_reason is None


def test_after_failure_keeps_the_adapted_interval_and_backs_off_from_the_configured_one() -> None:
    state = source(error_count=1, adapted_interval=timedelta(minutes=40))
    schedule = after_failure(state, NOW, "boom", retry_after=None)
    assert schedule.interval == timedelta(minutes=40)
    assert schedule.next_poll_at == NOW + timedelta(hours=1)
