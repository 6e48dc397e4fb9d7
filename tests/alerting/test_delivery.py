"""The delivery half of the alert decision, without a database or Slack: mutes, quiet hours and
their catch-up, hourly limits, and one thread per claim per day."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from monitor.alerting import muted_by, plan_delivery, thread_day
from monitor.types import Alert, AlertPolicy, Mute, MuteTarget, QuietHours, Stance

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NIGHT = QuietHours(time(22, 0), time(7, 0))


def alert(
    number: int,
    *,
    claim: int = 1,
    channel: str = "#arms",
    stance: Stance = Stance.SUPPORTS,
    created: datetime = NOW,
    policy: AlertPolicy | None = None,
) -> Alert:
    return Alert(
        id=number,
        watchlist_key="arms",
        watchlist_name="Arms",
        channel=channel,
        claim_key=f"c{claim}",
        claim_text="A claim",
        item_url="https://example.org/a",
        item_title="A story",
        source_name="Wire",
        published_at=None,
        quote="a quote",
        score=0.8,
        stance=stance,
        stance_confidence=0.9,
        created_at=created,
        claim_id=claim,
        source_id=7,
        story_id=40 + number,
        timezone="Europe/London",
        policy=policy or AlertPolicy(per_claim_per_hour=2, per_channel_per_hour=4),
    )


def test_alerts_within_the_limits_go_alone_then_the_rest_in_one_summary_per_channel() -> None:
    plan = plan_delivery([alert(n) for n in range(1, 5)], NOW)
    assert [a.id for a in plan.single] == [1, 2]
    assert [a.id for a in plan.summaries["#arms"]] == [3, 4]


def test_a_contradiction_is_never_batched_and_the_last_hour_counts() -> None:
    sent = Counter({("#arms", 1): 2})
    alerts = [alert(1), alert(2, stance=Stance.CONTRADICTS), alert(3, claim=2)]
    plan = plan_delivery(alerts, NOW, sent_per_claim=sent)
    assert [a.id for a in plan.single] == [2, 3]
    assert [a.id for a in plan.summaries["#arms"]] == [1]

    full = plan_delivery([alert(4, claim=3)], NOW, sent_per_channel=Counter({"#arms": 4}))
    assert not full.single and [a.id for a in full.summaries["#arms"]] == [4]


def test_quiet_hours_hold_alerts_in_the_watchlists_time_zone() -> None:
    quiet = AlertPolicy(quiet_hours=NIGHT)
    night = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 23:30 in London
    plan = plan_delivery([alert(1, created=night, policy=quiet)], night)
    assert [a.id for a in plan.held] == [1] and not plan.single


def test_after_quiet_hours_what_waited_goes_in_one_catch_up_a_lone_one_alone() -> None:
    quiet = AlertPolicy(quiet_hours=NIGHT)
    night = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    morning = datetime(2026, 11, 24, 7, 5, tzinfo=UTC)
    waited = [alert(n, created=night, policy=quiet) for n in (1, 2)]
    lone = alert(3, channel="#desk", created=night, policy=quiet)
    fresh = alert(4, created=morning, policy=quiet)
    plan = plan_delivery([*waited, lone, fresh], morning)
    assert [a.id for a in plan.catch_up["#arms"]] == [1, 2]
    assert [a.id for a in plan.single] == [4, 3]


def test_a_mute_of_the_story_source_or_claim_stops_an_alert_with_its_reason() -> None:
    until = NOW + timedelta(hours=4)
    mutes = [Mute(MuteTarget.CLAIM, 2, until, "known"), Mute(MuteTarget.SOURCE, 99, until)]
    plan = plan_delivery([alert(1), alert(2, claim=2)], NOW, mutes)
    assert [a.id for a in plan.single] == [1]
    [(muted, reason)] = plan.muted
    assert muted.id == 2 and reason == "claim muted until 2026-11-24 16:00 UTC: known"
    story = Mute(MuteTarget.STORY, 41, until)
    assert muted_by(alert(1), [story]) == "story muted until 2026-11-24 16:00 UTC"
    assert muted_by(replace(alert(1), story_id=None), [story]) is None


def test_a_claims_thread_is_its_watchlists_local_day() -> None:
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert thread_day(late, "UTC") == "2026-11-24"
    assert thread_day(late, "Asia/Tokyo") == "2026-11-25"
