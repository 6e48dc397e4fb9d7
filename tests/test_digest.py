"""Daily digest emails: content, SMTP delivery against a real server (aiosmtpd), refusals,
retries, exactly once per period, the schedule, the preview and the watchlist block."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from monitor.digest.compose import Digest, compose_digest
from monitor.digest.render import render_html, render_text
from monitor.digest.schedule import SENDING_STALE, due_period, message_id, window_since
from monitor.errors import WatchlistError
from monitor.ingest.urls import http_url
from monitor.types import (
    Claim,
    ClaimSpec,
    DigestRecord,
    DigestSpec,
    DigestStatus,
    Evidence,
    EvidenceRecord,
    FeedEntry,
    NearMiss,
    ReportedStance,
    Review,
    Source,
    SourceKind,
    Stance,
)
from monitor.watchlists import parse_watchlist
from tests.support.cli import run_cli
from tests.support.clock import Clock
from tests.support.digests import (
    MAIL_FROM,
    NOW,
    WATCHLIST,
    SmtpServer,
    desk_with_evidence,
    make_desk,
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def parts(message):  # type: ignore[no-untyped-def]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_recipients_get_a_text_and_html_digest_of_what_changed(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    repository = desk_with_evidence(tmp_path)
    report = make_desk(repository, smtp.port, Clock(NOW)).send_due()

    assert [r.period for r in report.sent] == ["2026-03-10"]
    [received] = smtp.received
    assert sorted(received.recipients) == [
        "editor@newsroom.example",
        "gone@newsroom.example",
        "night@newsroom.example",
    ]
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == (
        "Arms desk — digest 2026-03-10: 2 supporting, 1 contradicting, 1 mentions"
    )
    assert message["Message-ID"] == "<digest.desk.2026-03-10@newsroom.example>"
    assert message["From"] == MAIL_FROM
    text, html = parts(message)
    for body in (text, html):
        assert "North Korea has shipped a million artillery shells to Russia" in body
        assert "Demo Wire" in body  # the outlet
        assert "https://wire.example/a" in body  # the link
        assert "Iran is acquiring Russian fighter jets" in body  # stale: last seen 10 days ago
        assert "North Korean troops fight in Kursk" in body  # stale: never any evidence
        assert "HTTP 503 Service Unavailable" in body  # the failing source
        assert "Ministry" in body
    assert "2 supporting, 1 contradicting, 0 mentioning" in text
    assert "2 supporting</span>" in html and "1 contradicting</span>" in html
    # The contradiction comes first among the quotes; feed text is escaped in the HTML.
    assert text.index("Pyongyang denied") < text.index("North Korea has shipped")
    assert "Pyongyang denied &lt;b&gt;any&lt;/b&gt; shipments &amp; called" in html
    assert "<b>any</b>" not in html
    [record] = repository.digests("desk")
    assert record.status is DigestStatus.SENT
    assert record.sent_at == NOW


def test_the_digest_lists_the_claims_with_near_misses_waiting_for_review(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    repository = desk_with_evidence(tmp_path)
    claims = {c.key: c.id for c in repository.claims("desk")}
    [wire, _] = sorted(repository.sources(), key=lambda s: s.name)
    stories = repository.add_items(
        wire.id,
        [
            FeedEntry(f"https://wire.example/n{n}", f"https://wire.example/n{n}", "Kursk", "K")
            for n in range(3)
        ],
        NOW - timedelta(hours=2),
    )
    near = [
        NearMiss(Evidence(claims[key], item.id, 0.45, "Kursk", Stance.MENTIONS, 0.5), 0.4)
        for key, item in zip(["troops", "troops", "drones"], stories, strict=True)
    ]
    repository.record_judgement(
        [s.id for s in stories], [], NOW - timedelta(hours=2), near_misses=near
    )
    [reviewed] = repository.near_misses(claims["drones"])
    repository.review_near_miss(reviewed.id, Review.DISMISSED, "ana", NOW - timedelta(hours=1))
    late = repository.add_items(
        wire.id,
        [FeedEntry("https://wire.example/late", "https://wire.example/late", "K", "K")],
        NOW,
    )
    after = NearMiss(Evidence(claims["troops"], late[0].id, 0.45, "K", Stance.MENTIONS, 0.5), 0.4)
    repository.record_judgement([], [], NOW + timedelta(minutes=5), near_misses=[after])

    make_desk(repository, smtp.port, Clock(NOW)).send_due()

    text, html = parts(smtp.received[0].message)
    assert "WAITING FOR REVIEW" in text
    assert "- North Korean troops fight in Kursk: 2 items" in text  # not the one after 08:00
    assert "Waiting for review" in html and "(2 items)" in html
    # A dismissed near miss waits for nobody.
    waiting = text[text.index("WAITING FOR REVIEW") :].split("\n\n")[0]
    assert "Shahed" not in waiting


def test_refused_recipients_are_recorded_and_the_others_still_get_it(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    smtp.handler.refuse = {"gone@newsroom.example"}
    repository = desk_with_evidence(tmp_path)
    report = make_desk(repository, smtp.port, Clock(NOW)).send_due()

    assert len(report.sent) == 1
    [received] = smtp.received
    assert sorted(received.recipients) == ["editor@newsroom.example", "night@newsroom.example"]
    [record] = repository.digests("desk")
    assert record.status is DigestStatus.SENT
    assert record.refused == (("gone@newsroom.example", "550 5.1.1 mailbox unavailable"),)


def test_every_recipient_refused_fails_the_digest_without_retrying(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    smtp.handler.refuse = {
        "editor@newsroom.example",
        "night@newsroom.example",
        "gone@newsroom.example",
    }
    repository = desk_with_evidence(tmp_path)
    clock = Clock(NOW)
    desk = make_desk(repository, smtp.port, clock)
    report = desk.send_due()
    assert report.sent == [] and len(report.failed) == 1
    [record] = repository.digests("desk")
    assert record.status is DigestStatus.FAILED
    assert len(record.refused) == 3
    clock.now += timedelta(hours=1)
    desk.send_due()
    assert smtp.received == []
    assert len(repository.digests("desk")) == 1


def test_a_period_is_never_sent_twice(tmp_path: Path, smtp: SmtpServer) -> None:
    repository = desk_with_evidence(tmp_path)
    clock = Clock(NOW)
    desk = make_desk(repository, smtp.port, clock)
    desk.send_due()
    clock.now += timedelta(minutes=5)
    assert desk.send_due().sent == []
    assert desk.send_now("desk").sent == []  # --force does not resend the day either
    other_worker = make_desk(repository, smtp.port, Clock(NOW + timedelta(hours=2)))
    assert other_worker.send_due().sent == []
    assert len(smtp.received) == 1
    # The next day is a new period, covering what came after the first digest.
    clock.now = NOW + timedelta(days=1)
    [sent] = desk.send_due().sent
    assert sent.period == "2026-03-11"
    assert sent.since == NOW
    assert len(smtp.received) == 2
    assert "no new evidence" in smtp.received[1].message["Subject"]


def test_nothing_is_sent_before_the_local_send_time(tmp_path: Path, smtp: SmtpServer) -> None:
    repository = desk_with_evidence(tmp_path)
    # 06:30 in London (UTC in March): half an hour early.
    report = make_desk(repository, smtp.port, Clock(datetime(2026, 3, 10, 6, 30, tzinfo=UTC)))
    assert report.send_due().sent == []
    assert smtp.received == [] and repository.digests() == []


def test_a_digest_waits_while_the_server_is_down_and_goes_when_it_is_back(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    repository = desk_with_evidence(tmp_path)
    clock = Clock(NOW)
    desk = make_desk(repository, smtp.port, clock)
    smtp.stop()
    report = desk.send_due()
    assert report.sent == [] and len(report.retrying) == 1
    [record] = repository.digests("desk")
    assert record.status is DigestStatus.RETRYING
    assert record.last_error is not None and "unreachable" in record.last_error
    assert record.next_attempt_at == NOW + timedelta(minutes=1)

    smtp.start()
    assert desk.send_due().sent == []  # the retry is not due yet
    clock.now += timedelta(minutes=2)
    [sent] = desk.send_due().sent
    assert sent.id == record.id
    [received] = smtp.received
    assert received.message["Message-ID"] == record.message_id
    [record] = repository.digests("desk")
    assert (record.status, record.attempts, record.last_error) == (DigestStatus.SENT, 2, None)


def test_a_sender_that_died_mid_send_is_taken_over_with_the_same_message_id(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    repository = desk_with_evidence(tmp_path)
    draft = DigestRecord(
        id=0,
        watchlist_key="desk",
        period="2026-03-10",
        status=DigestStatus.SENDING,
        message_id=message_id("desk", date(2026, 3, 10), MAIL_FROM),
        since=NOW - timedelta(days=1),
        until=NOW,
        recipients=("editor@newsroom.example",),
        created_at=NOW,
    )
    taken = repository.lease_digest("desk", draft, NOW, NOW - SENDING_STALE)
    assert taken is not None  # ...and the process dies before settling it
    desk = make_desk(repository, smtp.port, Clock(NOW + timedelta(minutes=1)))
    assert desk.send_due().sent == []  # still held by the (maybe live) sender
    desk.clock = Clock(NOW + SENDING_STALE + timedelta(minutes=1))
    [sent] = desk.send_due().sent
    assert sent.id == taken.id
    [received] = smtp.received
    assert received.recipients == ["editor@newsroom.example"]
    assert received.message["Message-ID"] == "<digest.desk.2026-03-10@newsroom.example>"


def test_one_failing_watchlist_does_not_stop_the_others(tmp_path: Path, smtp: SmtpServer) -> None:
    repository = desk_with_evidence(tmp_path)
    other = parse_watchlist(WATCHLIST.replace("Arms desk", "Other desk"), tmp_path / "other.yaml")
    repository.sync_watchlists([other], NOW)
    desk = make_desk(repository, smtp.port, Clock(NOW))
    broken = desk.build

    def build(key: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if key == "desk":
            raise WatchlistError([])
        return broken(key, *args, **kwargs)

    desk.build = build  # type: ignore[method-assign]
    report = desk.send_due()
    assert [r.watchlist_key for r in report.sent] == ["other"]
    assert len(report.failed) == 1
    assert [m.message["Subject"].split(" — ")[0] for m in smtp.received] == ["Other desk"]


def test_a_line_break_in_a_stored_name_stops_no_digest(tmp_path: Path, smtp: SmtpServer) -> None:
    # Files refuse such names now; one stored before that must not abort every desk's digest.
    repository = desk_with_evidence(tmp_path)
    other = parse_watchlist(WATCHLIST.replace("Arms desk", "Other desk"), tmp_path / "other.yaml")
    repository.sync_watchlists([replace(other, name="Other\r\nBcc: all@example.org")], NOW)
    report = make_desk(repository, smtp.port, Clock()).send_due()
    assert sorted(r.watchlist_key for r in report.sent) == ["desk", "other"]
    subjects = sorted(m.message["Subject"] for m in smtp.received)
    assert subjects[1].startswith("Other Bcc: all@example.org — digest")
    assert all(m.message["Bcc"] is None for m in smtp.received)


def test_due_period_follows_the_digest_time_zone() -> None:
    spec = DigestSpec(("a@b.example",), time(7, 0), timezone="America/New_York")
    # 11:59 UTC is 06:59 in New York on a winter day.
    assert due_period(datetime(2026, 1, 15, 11, 59, tzinfo=UTC), spec) is None
    assert due_period(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), spec) == date(2026, 1, 15)
    # 02:00 UTC on the 16th is still the evening of the 15th there: that period was due.
    assert due_period(datetime(2026, 1, 16, 2, 0, tzinfo=UTC), spec) == date(2026, 1, 15)
    # Summer time: 07:00 EDT is 11:00 UTC.
    assert due_period(datetime(2026, 7, 1, 11, 0, tzinfo=UTC), spec) == date(2026, 7, 1)
    assert due_period(NOW, DigestSpec((), time(0, 0))) is None  # nobody to send to


def test_window_starts_where_the_last_digest_ended() -> None:
    assert window_since(None, NOW) == NOW - timedelta(days=1)
    assert window_since(NOW - timedelta(hours=30), NOW) == NOW - timedelta(hours=30)


def one_claims_digest(
    claim: Claim, record: EvidenceRecord, sources: list[Source] | None = None, **names: str
) -> Digest:
    """A day's digest of the desk's one claim with one piece of evidence."""
    return compose_digest(
        watchlist_key="desk",
        watchlist_name=names.get("watchlist_name", "Desk"),
        period=date(2026, 3, 10),
        since=NOW - timedelta(days=1),
        until=NOW,
        timezone="UTC",
        claims=[claim],
        evidence=[record],
        last_evidence_at={},
        sources=sources or [],
        stale_after=timedelta(days=7),
    )


def test_feed_content_is_escaped_and_only_http_links_are_kept() -> None:
    assert http_url("javascript:alert(1)") is None
    assert http_url("data:text/html,hi") is None
    assert http_url("http://[unclosed/a") is None  # malformed: no exception
    assert http_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    claim = Claim(1, "desk", ClaimSpec("c", "A <claim>"), 0.6)
    record = EvidenceRecord(
        id=1,
        evidence=Evidence(1, 1, 0.9, "<script>alert(1)</script>", Stance.SUPPORTS, 0.9),
        claim_key="c",
        item_title="<img src=x onerror=alert(1)>",
        item_url="javascript:alert(1)",
        source_name="Evil & Co",
        published_at=None,
        created_at=NOW,
    )
    source = Source(
        1, "<i>Feed</i>", "javascript:x", SourceKind.FEED, timedelta(minutes=5), last_error="<x>"
    )
    digest = one_claims_digest(claim, record, [source], watchlist_name="Desk <b>")
    html = render_html(digest)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "<i>" not in html and "Desk <b>" not in html
    assert "javascript:" not in html
    assert "Evil &amp; Co" in html
    text = render_text(digest)
    assert "<script>alert(1)</script>" in text  # plain text is shown as is, never as HTML
    assert "javascript:" not in text


def test_the_digest_says_who_holds_each_stance_and_the_denials_reported() -> None:
    claim = Claim(1, "desk", ClaimSpec("c", "North Korea is supplying shells to Russia"), 0.6)
    denial = "Pyongyang has repeatedly denied the <shipments>."
    evidence = Evidence(
        1, 1, 0.7, "North Korea has covertly supplied Russia with shells.", Stance.SUPPORTS, 0.8,
        holder="NSC spokesman John Kirby",
        reported=(ReportedStance(Stance.CONTRADICTS, "Pyongyang", denial),),
    )  # fmt: skip
    record = EvidenceRecord(1, evidence, "c", "Shells", "https://x.example/1", "Wire", None, NOW)
    digest = one_claims_digest(claim, record)
    text = render_text(digest)
    assert "     according to NSC spokesman John Kirby\n" in text
    assert f"     also reports: Pyongyang contradicts: “{denial}”" in text
    assert "supports: asserts the claim, or reports someone asserting it" in text
    html = render_html(digest)
    assert "According to NSC spokesman John Kirby" in html
    assert (
        "Also reports: Pyongyang contradicts: “Pyongyang has repeatedly denied the &lt;shipments&gt;.”"
        in html
    )
    assert "denies, refutes or corrects the claim, or reports someone doing so" in html


def test_the_digest_shows_the_stance_an_editor_set_and_escapes_the_editor() -> None:
    claim = Claim(1, "desk", ClaimSpec("c", "North Korea is supplying shells to Russia"), 0.6)
    evidence = Evidence(
        1, 1, 0.7, "Pyongyang called the reports baseless.", Stance.CONTRADICTS, 0.8,
        corrected_by="@<b>ana</b>", model_stance=Stance.SUPPORTS,
    )  # fmt: skip
    record = EvidenceRecord(1, evidence, "c", "Shells", "https://x.example/1", "Wire", None, NOW)
    digest = one_claims_digest(claim, record)
    assert "   [contradicts, set by @<b>ana</b>] “Pyongyang" in render_text(digest)
    html = render_html(digest)
    assert "· set by @&lt;b&gt;ana&lt;/b&gt;" in html and "<b>ana" not in html


def test_preview_writes_html_and_text_and_sends_nothing(tmp_path: Path, smtp: SmtpServer) -> None:
    from tests.support.databases import database_url

    watchlists = tmp_path / "watchlists"
    watchlists.mkdir()
    (watchlists / "desk.yaml").write_text(WATCHLIST)
    env = {
        "MONITOR_DATABASE_URL": database_url(tmp_path / "cli.sqlite3"),
        "MONITOR_WATCHLISTS": str(watchlists),
        "MONITOR_SMTP_HOST": "127.0.0.1",
        "MONITOR_SMTP_PORT": str(smtp.port),
    }
    out = tmp_path / "out.html"
    cli = functools.partial(run_cli, env=env, clock=Clock(NOW))
    result = cli(["digest", "--watchlist", "desk", "--preview", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "Arms desk" in html and "North Korean troops fight in Kursk" in html
    assert "Arms desk" in out.with_suffix(".txt").read_text()
    assert smtp.received == []
    listed = cli(["digest"])
    assert listed.exit_code == 0 and "no digests yet" in listed.output

    send = ["digest", "--send", "-w", "desk", "--force"]
    sent = cli(send)
    assert sent.exit_code == 0, sent.output
    assert len(smtp.received) == 1
    again = cli(send)  # the period is sent: --force sends a digest out of time, not twice
    assert again.exit_code == 0 and "no digest due now" in again.output
    assert len(smtp.received) == 1


def test_the_digest_block_is_validated_with_file_and_line(tmp_path: Path) -> None:
    text = WATCHLIST.replace('send_at: "07:00"', 'send_at: "25:00"\n  timezone: Mars/Olympus')
    text = text.replace("gone@newsroom.example", '"Two <two@a.example>"')
    text = text.replace("stale_after_days: 7", "stale_after_days: 0")
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(text, tmp_path / "desk.yaml")
    problems = [str(p) for p in caught.value.problems]
    joined = "\n".join(problems)
    path = tmp_path / "desk.yaml"
    assert (
        f"{path}:6:65: digest.recipients[2]: Value error, 'Two <two@a.example>' is not an "
        "email address" in joined
    )
    assert f"{path}:7:12: digest.send_at: Value error, '25:00' is not a time of day" in joined
    assert f"{path}:8:13: digest.timezone: Value error, unknown time zone 'Mars/Olympus'" in joined
    assert (
        f"{path}:9:21: digest.stale_after_days: Input should be greater than or equal to 1"
        in joined
    )
    assert len(problems) == 4


def test_the_digest_time_zone_defaults_to_the_watchlists(tmp_path: Path) -> None:
    desk = parse_watchlist(WATCHLIST, tmp_path / "desk.yaml")
    assert desk.digest.timezone == "Europe/London"
    assert desk.digest.stale_after_days == 7
    assert desk.digest.send_at == time(7, 0)
