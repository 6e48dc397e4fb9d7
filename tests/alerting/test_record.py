"""The record half of the alert decision, without a database: thresholds moved by feedback,
rejected look-alikes, story duplicates and routing."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.alerting import (
    FEEDBACK_BOUNDS,
    decide_alert,
    effective_threshold,
    like_rejected,
    moved_adjustment,
    near_miss_expiry,
)
from monitor.types import AlertPolicy, Evidence, FeedbackKind, Stance

ROUTES = AlertPolicy(routes=((Stance.CONTRADICTS, ("#standards", "#arms")),))


def evidence(stance: Stance = Stance.SUPPORTS, *, alert: bool = True) -> Evidence:
    return Evidence(1, 2, 0.8, "a quote", stance, 0.9, alert=alert)


def test_a_claims_own_threshold_wins_and_feedback_moves_it_within_bounds() -> None:
    assert effective_threshold(0.7, 0.6, 0.0) == 0.7
    assert effective_threshold(None, 0.6, 0.0) == 0.6
    assert effective_threshold(None, 0.6, 0.04) == 0.64
    assert effective_threshold(0.95, 0.6, 0.15) == 0.99  # still able to match
    assert effective_threshold(0.05, 0.6, -0.1) == 0.0


def test_feedback_steps_the_adjustment_and_stops_at_its_bounds() -> None:
    assert moved_adjustment(0.0, FeedbackKind.NOT_RELEVANT) == 0.02
    assert moved_adjustment(0.0, FeedbackKind.RELEVANT) == -0.01
    assert moved_adjustment(0.05, FeedbackKind.MUTE_STORY) == 0.05  # says nothing of relevance
    adjustment = 0.0
    for _ in range(20):
        adjustment = moved_adjustment(adjustment, FeedbackKind.NOT_RELEVANT)
    assert adjustment == FEEDBACK_BOUNDS[1]
    for _ in range(40):
        adjustment = moved_adjustment(adjustment, FeedbackKind.RELEVANT)
    assert adjustment == FEEDBACK_BOUNDS[0]


def test_a_passage_close_to_a_rejected_quote_does_not_alert() -> None:
    assert like_rejected(0.85) and like_rejected(0.97)
    assert not like_rejected(0.84)


def test_evidence_alerts_its_watchlists_channel_and_its_stances_routes_once_each() -> None:
    supports = decide_alert(evidence(), story_has_it=False, channel="#arms", policy=ROUTES)
    assert supports.channels == ("#arms",)
    contradicts = decide_alert(
        evidence(Stance.CONTRADICTS), story_has_it=False, channel="#arms", policy=ROUTES
    )
    assert contradicts.channels == ("#arms", "#standards")


def test_quiet_evidence_and_a_storys_second_copy_raise_no_alert() -> None:
    quiet = decide_alert(evidence(alert=False), story_has_it=False, channel="#a", policy=ROUTES)
    assert quiet.channels == () and "without an alert" in quiet.reason
    copy = decide_alert(evidence(), story_has_it=True, channel="#a", policy=ROUTES)
    assert copy.channels == () and "story" in copy.reason


def test_a_near_miss_waits_its_days_and_zero_days_waits_for_ever() -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert near_miss_expiry(now, 14) == datetime(2026, 11, 17, 9, tzinfo=UTC)
    assert near_miss_expiry(now, 0) is None
