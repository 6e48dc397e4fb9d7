"""The pipeline wired for real (SQLite file, HTTP feeds, Slack API server) with a fast embedder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.judge.stance import MentionsOnly
from monitor.notify.slack import SlackSink
from monitor.pipeline import Pipeline
from monitor.store import Repository, open_store
from monitor.types import AlertStatus, FeedbackKind, FeedEntry
from monitor.watchlists import parse_watchlist
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.paths import FIXTURES
from tests.support.servers import LocalServer, Response, SlackAPI

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)

WATCHLIST = """
name: {name}
slack_channel: "{channel}"
defaults: {{threshold: 0.5}}
sources:
  - {{name: Wire, url: "{base}/desk.xml"}}
  - {{name: Broken, url: "{base}/broken.xml"}}
claims:
  - id: dprk-shells
    text: North Korea has shipped artillery shells to Russia
"""


def make_pipeline(
    tmp_path: Path,
    slack: SlackAPI,
    embedder: HashingEmbedder,
    clock: Callable[[], datetime] = lambda: NOW,
) -> tuple[Pipeline, Repository]:
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    sink = SlackSink(slack.token, f"{slack.url}/api/")
    pipeline = Pipeline(repository, fetcher, embedder, MentionsOnly(), sink, clock=clock)
    return pipeline, repository


def load(repository: Repository, tmp_path: Path, base: str, **desks: str) -> None:
    watchlists = [
        parse_watchlist(
            WATCHLIST.format(name=key, channel=channel, base=base), tmp_path / f"{key}.yaml"
        )
        for key, channel in desks.items()
    ]
    repository.sync_watchlists(watchlists, NOW)


@pytest.fixture
def feeds(feed_server: LocalServer) -> LocalServer:
    feed_server.responses["/desk.xml"] = Response((FIXTURES / "feeds/desk.xml").read_bytes())
    feed_server.responses["/broken.xml"] = Response(b"server on fire", status=500)
    return feed_server


def test_a_broken_source_is_recorded_and_the_others_go_on(
    tmp_path: Path, feeds: LocalServer, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder)
    load(repository, tmp_path, feeds.url, desk="#desk")

    report = pipeline.run_cycle(repository.sources())

    by_name = {p.source.name: p for p in report.polled}
    assert by_name["Wire"].new_items == 3 and by_name["Wire"].error is None
    assert "HTTP 500" in (by_name["Broken"].error or "")
    broken = next(s for s in repository.sources() if s.name == "Broken")
    assert broken.error_count == 1 and "HTTP 500" in (broken.last_error or "")
    assert broken.next_poll_at is not None and broken.next_poll_at > NOW
    assert [m["metadata"]["event_payload"]["claim_id"] for m in slack_api.posted] == ["dprk-shells"]


def test_one_bad_channel_never_stops_another(
    tmp_path: Path, feeds: LocalServer, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    slack_api.errors["#gone"] = "channel_not_found"
    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder)
    load(repository, tmp_path, feeds.url, desk="#desk", other="#gone")

    report = pipeline.run_cycle(repository.sources())

    assert [m["channel"] for m in slack_api.posted] == ["#desk"]
    [(paused, error)] = report.delivery.paused
    assert paused.channel == "#gone" and "channel_not_found" in error
    stored = {a.channel: a for a in repository.alerts()}
    assert stored["#gone"].status is AlertStatus.PENDING  # waits for the channel to be fixed
    assert "channel_not_found" in (stored["#gone"].last_error or "")
    assert stored["#desk"].status is AlertStatus.SENT
    # The paused channel is not tried again at once.
    pipeline.deliver()
    assert len(slack_api.posted) == 1


def test_transient_slack_errors_are_retried_on_the_next_run(
    tmp_path: Path, feeds: LocalServer, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    slack_api.errors["#desk"] = "internal_error"
    now = [NOW]
    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder, lambda: now[0])
    load(repository, tmp_path, feeds.url, desk="#desk")

    report = pipeline.run_cycle(repository.sources())
    assert report.delivery.retrying and not slack_api.posted
    [pending] = repository.alerts(AlertStatus.PENDING)
    assert pending.attempts == 1 and "internal_error" in (pending.last_error or "")

    del slack_api.errors["#desk"]
    assert pipeline.deliver().sent == []  # backing off: not before 30 s
    now[0] = NOW + timedelta(seconds=31)
    assert len(pipeline.deliver().sent) == 1
    assert len(slack_api.posted) == 1
    assert pipeline.deliver().sent == []


def test_items_stored_but_not_judged_are_judged_later(
    tmp_path: Path, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder)
    load(repository, tmp_path, "http://127.0.0.1:9", desk="#desk")
    wire = next(s for s in repository.sources() if s.name == "Wire")
    entry = FeedEntry(
        "k1",
        "https://x.invalid/1",
        "Shells",
        "North Korea has shipped artillery shells to Russia, officials said.",
    )
    # The process "dies" after storing the item: nothing judged yet.
    repository.add_items(wire.id, [entry, entry], NOW)

    assert pipeline.judge_pending() == 1
    assert pipeline.judge_pending() == 0
    assert len(pipeline.deliver().sent) == 1


def test_each_distinct_passage_is_embedded_once(
    tmp_path: Path, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder)
    load(repository, tmp_path, "http://127.0.0.1:9", desk="#desk")
    wire = next(s for s in repository.sources() if s.name == "Wire")
    body = "The same wire sentence appears in both stories. Each outlet adds nothing else here."
    entries = [
        FeedEntry(f"k{i}", f"https://x.invalid/{i}", "Same headline", body) for i in range(3)
    ]
    repository.add_items(wire.id, entries, NOW)

    pipeline.judge_pending()

    [texts] = hashing_embedder.calls
    assert len(texts) == len(set(texts))
    assert texts.count("Same headline") == 1


def test_a_database_failure_fails_one_source_not_the_cycle(
    tmp_path: Path,
    feeds: LocalServer,
    slack_api: SlackAPI,
    hashing_embedder: HashingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.exc import OperationalError

    from monitor.store.base import wrapped

    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder)
    load(repository, tmp_path, feeds.url, desk="#desk")
    feeds.responses["/broken.xml"] = Response((FIXTURES / "feeds/desk.xml").read_bytes())
    wire = next(s for s in repository.sources() if s.name == "Wire")
    unwrapped = Repository.add_items.__wrapped__  # type: ignore[attr-defined]

    def locked(self: Repository, source_id: int, *args: object) -> object:
        if source_id == wire.id:  # SQLite under heavy concurrent writes
            raise OperationalError("INSERT INTO items", {}, Exception("database is locked"))
        return unwrapped(self, source_id, *args)

    monkeypatch.setattr(Repository, "add_items", wrapped(locked))

    outcomes = {o.source.name: o for o in pipeline.poll_many(repository.sources())}

    assert "StorageError" not in (outcomes["Wire"].error or "")
    assert "database is locked" in (outcomes["Wire"].error or "")
    assert outcomes["Broken"].error is None and outcomes["Broken"].new_items == 3


def test_items_like_one_marked_not_relevant_are_kept_without_alerting(
    tmp_path: Path, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder)
    load(repository, tmp_path, "http://127.0.0.1:9", desk="#desk")
    wire = next(s for s in repository.sources() if s.name == "Wire")

    def publish(key: str, text: str) -> int:
        repository.add_items(wire.id, [FeedEntry(key, f"https://w.example/{key}", key, text)], NOW)
        return pipeline.judge_pending()

    noise = "Museum shows how North Korea shipped artillery shells to Russia in old films"
    assert publish("a", noise) == 1
    [alert] = repository.alerts()
    repository.record_feedback(alert.id, FeedbackKind.NOT_RELEVANT, "@ana", NOW)

    assert publish("b", noise + " again") == 0  # like the rejected one: recorded, not alerted
    claim = repository.claims()[0]
    assert len(repository.evidence_for_claim(claim.id)) == 2
    assert (
        publish("c", "Officials say North Korea has shipped more artillery shells to Russia") == 1
    )


class FullDisk(HashingEmbedder):
    """An embedder whose machine ran out of disk (or memory) in the middle of judging."""

    def encode(self, texts):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")


def test_a_batch_that_fails_to_be_judged_is_given_back_at_once(
    tmp_path: Path, feeds: LocalServer, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    pipeline, repository = make_pipeline(tmp_path, slack_api, FullDisk())
    load(repository, tmp_path, feeds.url, desk="#desk")
    pipeline.poll_many(repository.sources())
    with pytest.raises(OSError, match="No space left"):
        pipeline.judge_pending()
    # Another worker takes the items at once, not after the 10-minute lease.
    taken = repository.lease_unjudged(100, NOW, NOW + timedelta(minutes=10), "other")
    assert len(taken) == 3


def test_a_restarted_worker_takes_back_its_own_leases(
    tmp_path: Path, feeds: LocalServer, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> None:
    pipeline, repository = make_pipeline(tmp_path, slack_api, hashing_embedder)
    load(repository, tmp_path, feeds.url, desk="#desk")
    pipeline.poll_many(repository.sources())
    until = NOW + timedelta(minutes=10)
    mine = repository.lease_unjudged(2, NOW, until, "worker-1")  # then it was killed
    theirs = repository.lease_unjudged(1, NOW, until, "worker-2")  # still at work
    assert len(mine) == 2 and len(theirs) == 1

    restarted = Pipeline(
        repository, pipeline.fetcher, hashing_embedder, MentionsOnly(), pipeline.sink,
        clock=lambda: NOW, worker="worker-1",
    )  # fmt: skip
    assert restarted.reclaim_judge_leases() == 2
    restarted.judge_pending()
    assert {i.id for i in repository.unjudged_items()} == {theirs[0].id}
