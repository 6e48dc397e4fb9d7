"""`monitor run`'s scheduler: one job per source, new items judged and alerted at once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.clock import system_clock
from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.judge.stance import MentionsOnly
from monitor.notify.slack import ConsoleSink, SlackSink
from monitor.pipeline import Pipeline
from monitor.scheduler import MonitorScheduler, jitter_for
from monitor.settings import load_settings
from monitor.store import Repository, open_store
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.paths import FIXTURES
from tests.support.servers import LocalServer, Response, SlackAPI
from tests.support.services import service_around
from tests.support.waiting import wait_for


def desk_scheduler(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI, defaults: str
) -> tuple[MonitorScheduler, Repository]:
    """A scheduler (not started) for the test desk's watchlist, its defaults replaced."""
    feed_server.responses["/desk.xml"] = Response((FIXTURES / "feeds/desk.xml").read_bytes())
    watchlists = tmp_path / "watchlists"
    watchlists.mkdir()
    template = (FIXTURES / "watchlists/desk.yaml").read_text()
    template = template.replace("poll_interval: 1m", defaults)
    (watchlists / "desk.yaml").write_text(template.replace("{base_url}", feed_server.url))
    settings = load_settings(
        watchlists=watchlists, database_url=database_url(tmp_path / "m.sqlite3")
    )
    repository = open_store(settings.resolved_database_url)
    pipeline = Pipeline(
        repository,
        Fetcher(FetchPolicy(user_agent="t", allow_private=True)),
        HashingEmbedder(),
        MentionsOnly(),
        SlackSink(slack_api.token, f"{slack_api.url}/api/"),
        clock=system_clock,  # a live scheduler: its jobs run in real time
    )
    service = service_around(settings, repository, pipeline, system_clock)
    return MonitorScheduler(service, BackgroundScheduler), repository


def test_scheduler_polls_each_source_and_alerts(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    # The hashing embedder scores word overlap: a lower threshold stands in for the model's.
    scheduler, repository = desk_scheduler(
        tmp_path, feed_server, slack_api, "poll_interval: 1m\n  threshold: 0.4"
    )
    scheduler.start()
    try:
        jobs = {job.id for job in scheduler.scheduler.get_jobs()}
        [source] = repository.sources()
        assert {
            f"source:{source.id}",
            "judge",
            "deliver",
            "reload-watchlists",
            "expire-near-misses",
        } <= jobs
        # Generous: the first judge run loads the stance model, slow on a loaded machine.
        wait_for(lambda: len(slack_api.posted) >= 1, seconds=90)
        wait_for(lambda: repository.source(source.id).last_success_at is not None)
    finally:
        scheduler.shutdown()
    assert feed_server.paths_requested().count("/desk.xml") == 1
    assert {m["metadata"]["event_payload"]["claim_id"] for m in slack_api.posted} <= {
        "dprk-shells",
        "iran-shaheds",
    }


def test_jitter_is_a_tenth_of_the_interval_capped_at_a_minute() -> None:
    assert jitter_for(timedelta(seconds=30)) == 3
    assert jitter_for(timedelta(minutes=5)) == 30
    assert jitter_for(timedelta(hours=1)) == 60


def test_a_source_job_wakes_at_the_shortest_interval_the_source_may_adapt_to(
    tmp_path: Path,
) -> None:
    from monitor.types import Source, SourceKind

    settings = load_settings(database_url=database_url(tmp_path / "m.sqlite3"))
    repository = open_store(settings.resolved_database_url)
    pipeline = Pipeline(
        repository,
        Fetcher(FetchPolicy(user_agent="t")),
        HashingEmbedder(),
        MentionsOnly(),
        ConsoleSink(lambda m: None),
        clock=system_clock,
    )
    service = service_around(settings, repository, pipeline, system_clock)
    scheduler = MonitorScheduler(service, BackgroundScheduler)
    source = Source(7, "S", "https://example.org/f", SourceKind.FEED, timedelta(minutes=15))
    scheduler.schedule_sources([source])
    job = scheduler.scheduler.get_job("source:7")
    assert job.trigger.interval == timedelta(minutes=3, seconds=45)


def test_after_a_poll_the_job_runs_at_the_sources_next_poll_time(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    """A source whose interval adapted to 2 minutes is polled 2 minutes later, not at the next
    1-minute tick of its job (3 minutes later): alerts wait the poll interval, no longer."""
    scheduler, repository = desk_scheduler(
        tmp_path, feed_server, slack_api, "poll_interval: 4m\n  min_poll_interval: 1m"
    )
    scheduler.start()
    try:
        [source] = repository.sources()
        wait_for(lambda: repository.source(source.id).last_success_at is not None)
        polled = repository.source(source.id)
        job_id = f"source:{source.id}"
        wait_for(lambda: scheduler.scheduler.get_job(job_id).next_run_time >= polled.next_poll_at)
        next_run = scheduler.scheduler.get_job(job_id).next_run_time
    finally:
        scheduler.shutdown()
    assert polled.current_interval == timedelta(minutes=2)  # 3 new items: polled faster
    assert polled.next_poll_at is not None
    assert polled.next_poll_at <= next_run <= polled.next_poll_at + timedelta(seconds=2)
