"""Delivering alerts to a local server that speaks the Slack Web API: threads, routes, limits,
quiet hours, mutes, 429s, and exactly-once delivery across a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.notify.outbox import Outbox
from monitor.notify.slack import SlackSink
from monitor.types import AlertStatus, Mute, MuteTarget, Stance
from tests.support.clock import NOW
from tests.support.databases import database_url
from tests.support.desks import Desk
from tests.support.servers import SlackAPI


@pytest.fixture
def desk(tmp_path: Path, slack_api: SlackAPI) -> Desk:
    return Desk(tmp_path, slack_api)


def test_one_thread_per_claim_per_day_and_contradictions_also_in_the_channel(desk: Desk) -> None:
    desk.evidence("shells")
    desk.evidence("shells")
    desk.evidence("shells", Stance.CONTRADICTS)
    desk.evidence("drones")
    report = desk.outbox().deliver()
    assert len(report.sent) == 5  # the contradiction also went to #denials

    first, second, contradiction, drones = desk.slack.messages("#arms")
    assert "thread_ts" not in first and "thread_ts" not in drones  # each claim starts its thread
    assert second["thread_ts"] == first["ts"] and contradiction["thread_ts"] == first["ts"]
    assert contradiction["reply_broadcast"] in (True, "true")
    assert second.get("reply_broadcast") in (None, False, "false")
    [routed] = desk.slack.messages("#denials")
    assert "contradicts" in routed["text"]

    desk.clock.advance(days=1)  # a new day starts a new thread
    desk.evidence("shells")
    desk.outbox().deliver()
    assert "thread_ts" not in desk.slack.messages("#arms")[-1]


def test_a_burst_beyond_the_claim_limit_becomes_one_summary(
    tmp_path: Path, slack_api: SlackAPI
) -> None:
    desk = Desk(tmp_path, slack_api, per_claim=2)
    for _ in range(6):
        desk.evidence("shells")
    desk.evidence("shells", Stance.CONTRADICTS)
    report = desk.outbox().deliver()

    messages = desk.slack.messages("#arms")
    assert len(messages) == 4  # two alerts, the contradiction (never batched), one summary
    summary = messages[-1]
    assert summary["metadata"]["event_type"] == "claim_evidence_summary"
    assert "4 alerts" in summary["text"] and len(report.batched) == 4
    statuses = [a.status for a in desk.repository.alerts(limit=100) if a.channel == "#arms"]
    assert statuses.count(AlertStatus.BATCHED) == 4 and statuses.count(AlertStatus.SENT) == 3

    desk.clock.advance(minutes=10)  # the hour's allowance is spent: the next one is batched
    desk.evidence("shells")
    desk.outbox().deliver()
    assert desk.slack.messages("#arms")[-1]["metadata"]["event_type"] == "claim_evidence_summary"


def test_quiet_hours_hold_alerts_then_one_catch_up_message(
    tmp_path: Path, slack_api: SlackAPI
) -> None:
    quiet = '  quiet_hours: {start: "22:00", end: "07:00"}'
    desk = Desk(tmp_path, slack_api, quiet=quiet)
    desk.clock.now = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 23:30 in London
    for claim in ("shells", "drones", "shells"):
        desk.evidence(claim)
    report = desk.outbox().deliver()
    assert not desk.slack.posted and len(report.held) == 3

    desk.clock.now = datetime(2026, 11, 24, 7, 5, tzinfo=UTC)
    report = desk.outbox().deliver()
    [catch_up] = desk.slack.messages("#arms")
    assert catch_up["text"].startswith("Caught up after quiet hours: 3 alerts")
    assert len(report.batched) == 3

    desk.evidence("drones")  # after the catch-up, alerts go out one by one again
    desk.outbox().deliver()
    assert desk.slack.messages("#arms")[-1]["metadata"]["event_type"] == "claim_evidence"


def test_muted_claims_and_sources_are_not_sent(desk: Desk) -> None:
    until = NOW + timedelta(hours=4)
    claim = desk.claims["drones"].id
    desk.repository.add_mute(Mute(MuteTarget.CLAIM, claim, until, "known"), "@ana", NOW)
    desk.repository.add_mute(
        Mute(MuteTarget.SOURCE, desk.sources["Ministry"].id, until), "@ana", NOW
    )
    desk.evidence("drones")
    desk.evidence("shells", source="Ministry")
    desk.evidence("shells")
    report = desk.outbox().deliver()
    assert len(desk.slack.posted) == 1 and len(report.muted) == 2
    reasons = {a.last_error for a in desk.repository.alerts(AlertStatus.MUTED)}
    assert any(r and r.startswith("claim muted until") and r.endswith("known") for r in reasons)

    desk.clock.advance(hours=5)  # mutes end
    desk.evidence("drones")
    desk.outbox().deliver()
    assert len(desk.slack.posted) == 2


def test_slack_429_pauses_the_channel_for_retry_after_without_counting_an_attempt(
    desk: Desk,
) -> None:
    desk.slack.throttle["#arms"] = 1
    desk.evidence("shells")
    desk.evidence("drones")
    report = desk.outbox().deliver()
    assert not desk.slack.posted and len(report.retrying) == 1  # the second was not tried
    [throttled] = [a for a in desk.repository.alerts() if a.last_error]
    assert throttled.attempts == 0 and throttled.next_attempt_at == NOW + timedelta(seconds=7)
    assert "ratelimited" in (throttled.last_error or "")

    outbox = desk.outbox()
    desk.clock.advance(seconds=3)
    outbox.deliver()
    assert len(desk.slack.posted) == 1  # the untried one went; the throttled one waits
    desk.clock.advance(seconds=5)
    outbox.deliver()
    assert len(desk.slack.posted) == 2


def test_a_one_off_run_waits_out_a_bounded_retry_after(desk: Desk) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        desk.clock.advance(seconds=seconds)

    desk.slack.throttle["#arms"] = 2  # two 429s in a row, Retry-After 7 s each
    desk.evidence("shells")
    desk.evidence("drones")
    report = desk.outbox(sleep=sleep).deliver_patiently()
    assert len(report.sent) == 2 and not report.retrying
    assert len(desk.slack.posted) == 2 and sum(slept) == pytest.approx(14)

    desk.slack.throttle["#arms"], desk.slack.retry_after = 1, 600  # longer than a run waits
    desk.evidence("shells")
    slept.clear()
    report = desk.outbox(sleep=sleep).deliver_patiently()
    assert not report.sent and len(report.retrying) == 1 and not slept


def test_posts_to_one_channel_are_spaced_by_the_pace(desk: Desk) -> None:
    for claim in ("shells", "drones", "shells"):
        desk.evidence(claim)
    desk.outbox(pace=0.3).deliver()
    gaps = [b - a for a, b in zip(desk.slack.post_times, desk.slack.post_times[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 0.28


def test_a_refused_message_fails_alone_and_other_channels_go_on(desk: Desk) -> None:
    desk.slack.errors["#arms"] = "invalid_blocks"
    desk.evidence("shells", Stance.CONTRADICTS)
    report = desk.outbox().deliver()
    [failed] = desk.repository.alerts(AlertStatus.FAILED)
    assert failed.channel == "#arms" and "invalid_blocks" in (failed.last_error or "")
    assert len(report.sent) == 1 and desk.slack.messages("#denials")


def test_a_channel_slack_refuses_is_paused_and_its_alerts_wait_for_the_fix(desk: Desk) -> None:
    desk.slack.errors["#arms"] = "not_in_channel"
    desk.evidence("shells", Stance.CONTRADICTS)
    desk.evidence("drones")
    report = desk.outbox().deliver()
    assert len(report.sent) == 1 and desk.slack.messages("#denials")  # other channels go on
    assert not desk.repository.alerts(AlertStatus.FAILED)
    waiting = desk.repository.alerts(AlertStatus.PENDING)
    assert len(waiting) == 2 and len(report.paused) == 2
    assert all("paused: " in (a.last_error or "") for a in waiting)
    assert all("invite the bot" in (a.last_error or "") for a in waiting)
    tried = [p for m, p, _, _ in desk.slack.requests if p.endswith("chat.postMessage")]
    assert len(tried) == 2  # one try for #arms, then it waits; one post to #denials

    desk.clock.advance(minutes=5)
    desk.outbox().deliver()
    assert len(desk.repository.alerts(AlertStatus.PENDING)) == 2  # still waiting, not retried
    del desk.slack.errors["#arms"]  # someone invited the bot
    desk.clock.advance(minutes=6)
    report = desk.outbox().deliver()
    assert len(report.sent) == 2 and len(desk.slack.messages("#arms")) == 2


def test_a_refused_token_pauses_every_channel(desk: Desk) -> None:
    from monitor.notify.outbox import waiting_for_a_fix

    desk.evidence("shells")
    desk.evidence("drones", Stance.CONTRADICTS)  # also routed to #denials
    wrong = SlackSink("xoxb-revoked", f"{desk.slack.url}/api/")
    report = Outbox(desk.repository, wrong, desk.clock, pace=0).deliver()
    assert not report.sent and not report.failed and len(report.paused) == 3
    assert len(desk.slack.requests) == 1  # the first refusal paused everything
    [(reason, channels)] = waiting_for_a_fix(desk.repository.alerts(AlertStatus.PENDING)).items()
    assert "invalid_auth" in reason and "SLACK_BOT_TOKEN" in reason
    assert sorted(channels) == ["#arms", "#denials"]

    desk.clock.advance(minutes=11)  # restarted with the right token
    report = desk.outbox().deliver()
    assert len(report.sent) == 3


class CrashAfterPosting(SlackSink):
    """The process dies right after Slack accepted the message, before it is recorded."""

    def send(self, message):  # type: ignore[no-untyped-def]
        super().send(message)
        raise SystemExit("killed")


class CrashBeforePosting(SlackSink):
    """The process dies after taking the alert, before the request reaches Slack."""

    def send(self, message):  # type: ignore[no-untyped-def]
        raise SystemExit("killed")


@pytest.mark.parametrize("crash", [CrashAfterPosting, CrashBeforePosting])
def test_an_alert_is_posted_exactly_once_across_a_crash(desk: Desk, crash: type[SlackSink]) -> None:
    desk.evidence("shells")
    desk.evidence("shells")  # the second goes into the first one's thread
    Outbox(desk.repository, desk.sink(), desk.clock, pace=0).deliver()
    assert len(desk.slack.posted) == 2
    desk.evidence("shells")  # into the thread too: found again through conversations.replies
    dying = Outbox(desk.repository, crash(desk.slack.token, f"{desk.slack.url}/api/"), desk.clock)
    with pytest.raises(SystemExit):
        dying.deliver()
    assert len(desk.repository.alerts(AlertStatus.SENDING)) == 1
    posted = len(desk.slack.posted)

    desk.clock.advance(minutes=1)  # too early to judge: the sender may still be working
    desk.outbox().deliver()
    assert len(desk.slack.posted) == posted and desk.repository.alerts(AlertStatus.SENDING)

    desk.clock.advance(minutes=5)  # a fresh process settles it
    report = desk.outbox().deliver()
    assert len(desk.slack.posted) == 3  # every alert exactly once
    assert not desk.repository.alerts(AlertStatus.SENDING)
    assert len(report.recovered) == (1 if crash is CrashAfterPosting else 0)
    texts = [m["metadata"]["event_payload"]["alert_ids"] for m in desk.slack.posted]
    assert len(texts) == len(set(texts))


def test_without_the_history_scopes_an_interrupted_alert_fails_with_the_reason(
    tmp_path: Path, desk: Desk
) -> None:
    from tests.support.cli import run_cli

    desk.evidence("shells")
    dying = Outbox(
        desk.repository, CrashBeforePosting(desk.slack.token, f"{desk.slack.url}/api/"), desk.clock
    )
    with pytest.raises(SystemExit):
        dying.deliver()
    refuse = desk.slack._api(lambda payload: {"ok": False, "error": "missing_scope"})
    desk.slack.responses["/api/conversations.history"] = refuse
    desk.slack.responses["/api/conversations.list"] = refuse
    desk.clock.advance(minutes=5)
    report = desk.outbox().deliver()
    [failed] = desk.repository.alerts(AlertStatus.FAILED)
    assert not desk.repository.alerts(AlertStatus.SENDING)
    assert "cannot be checked" in (failed.last_error or "") and "missing_scope" in (
        failed.last_error or ""
    )
    assert [a.id for a, _ in report.failed] == [failed.id] and not desk.slack.posted
    env = {"MONITOR_DATABASE_URL": database_url(tmp_path / "desk.sqlite3")}
    status = run_cli(["status"], env=env, clock=desk.clock)
    assert status.exit_code == 2
    assert f"1 interrupted alert could not be checked in Slack (#{failed.id})" in status.output


def test_editors_see_failures_and_pauses_resend_and_mute_from_the_command_line(
    tmp_path: Path, desk: Desk
) -> None:
    from tests.support.cli import run_cli

    desk.slack.errors["#arms"] = "invalid_blocks"
    desk.evidence("shells")
    desk.outbox().deliver()
    env = {"MONITOR_DATABASE_URL": database_url(tmp_path / "desk.sqlite3")}
    shown = run_cli(["alerts", "--status", "failed"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "failed (Slack refused the alert for #arms: invalid_blocks)" in shown.output

    desk.slack.errors["#arms"] = "channel_not_found"
    desk.evidence("drones")
    desk.outbox().deliver()
    status = run_cli(["status"], env=env, clock=desk.clock)
    assert status.exit_code == 2
    assert "paused      #arms: paused: Slack refused the alert for #arms: channel_not_found" in (
        status.output
    )

    del desk.slack.errors["#arms"]
    resent = run_cli(["alerts", "resend"], env=env, clock=desk.clock)
    assert resent.exit_code == 0 and "1 failed alert will be sent again" in resent.output
    desk.clock.advance(minutes=11)
    assert len(desk.outbox().deliver().sent) == 2  # the resent one and the one that waited
    assert not desk.repository.alerts(AlertStatus.FAILED)

    muted = run_cli(["mute", "claim", "drones", "--for", "2h"], env=env, clock=desk.clock)
    assert muted.exit_code == 0 and "muted claim drones until" in muted.output
    [mute] = desk.repository.active_mutes(desk.clock())
    assert mute.target is MuteTarget.CLAIM and mute.target_id == desk.claims["drones"].id
    unknown = run_cli(["mute", "claim", "nope"], env=env)
    assert unknown.exit_code == 1 and "no claim named 'nope'" in unknown.output
    short = run_cli(["mute", "claim", "drones", "--for", "5s"], env=env, clock=desk.clock)
    assert short.exit_code == 0, short.output  # a mute has no poll interval's minimum


def test_messages_bold_the_key_sentence_and_stay_within_slack_limits() -> None:
    from monitor.notify.messages import SECTION_LIMIT, highlighted, render_summary
    from monitor.types import Alert

    quote = (
        "Officials met on Monday. The ministry denied that Iran sent drones to Russia. More later."
    )
    shown = highlighted(quote, "Iran supplies Shahed attack drones to Russia")
    assert shown == (
        "Officials met on Monday. *The ministry denied that Iran sent drones to Russia.* More later."
    )
    assert highlighted("a <b> & c", "x") == "a &lt;b&gt; &amp; c"

    alerts = [
        Alert(
            i,
            "w",
            "W",
            "#arms",
            "c",
            "claim " * 200,
            f"https://n.example/{i}",
            "t" * 500,
            "Wire",
            None,
            "q",
            0.8,
            Stance.SUPPORTS,
            0.9,
            NOW,
        )
        for i in range(400)
    ]
    message = render_summary("#arms", alerts, "More evidence")
    assert len(message.blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= SECTION_LIMIT for b in message.blocks)
    assert message.metadata["event_payload"]["count"] == 400
