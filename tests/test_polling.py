"""Polling for real (SQLite file, HTTP on 127.0.0.1): briefing pages, full text, politeness,
disabling, and hostile or broken feeds that fail alone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.judge.stance import MentionsOnly
from monitor.notify.slack import ConsoleSink
from monitor.pipeline import Pipeline
from monitor.store import Repository, open_store
from monitor.types import Source
from monitor.watchlists import parse_watchlist
from tests.support.cli import run_cli
from tests.support.clock import Clock
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.paths import FIXTURES
from tests.support.servers import LocalServer, Response, SlowRoute

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
PAGES = FIXTURES / "pages"
ARTICLES = {
    "/news/2023/10/13/statement-on-rail-shipments-of-munitions": "rail-munitions.html",
    "/news/foreign-minister-remarks-on-drone-deliveries": "drone-deliveries.html",
    "/news/press-releases/98765": "rail-munitions.html",
    "/briefings/2023-10-11-readout": "drone-deliveries.html",
}
HEADER = """
name: Polling desk
slack_channel: "#polling"
claims:
  - id: dprk-shells
    text: North Korea has shipped artillery shells to Russia
sources:
"""


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    return open_store(database_url(tmp_path / "m.sqlite3"))


def make_pipeline(repository: Repository, clock: Clock, **options: int) -> Pipeline:
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    return Pipeline(
        repository,
        fetcher,
        HashingEmbedder(),
        MentionsOnly(),
        ConsoleSink(lambda _: None),
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


def load(repository: Repository, path: Path, sources: str, now: datetime = NOW) -> None:
    repository.sync_watchlists([parse_watchlist(HEADER + sources, path)], now)


def only_source(repository: Repository) -> Source:
    [source] = repository.sources(include_disabled=True)
    return source


def serve_briefing_room(server: LocalServer, missing: tuple[str, ...] = ()) -> None:
    server.responses["/news"] = Response(
        (PAGES / "briefing-room.html").read_bytes(), headers={"etag": '"v1"'}
    )
    for path, name in ARTICLES.items():
        if path not in missing:
            server.responses[path] = Response((PAGES / name).read_bytes())


def article_requests(server: LocalServer) -> list[str]:
    return [p for p in server.paths_requested() if p.split("?")[0] in ARTICLES]


PAGE_SOURCE = '  - {{name: Ministry, url: "{base}/news", kind: page}}\n'


# --- briefing pages ---------------------------------------------------------------------------


def test_a_briefing_page_source_stores_each_linked_article_once(
    tmp_path: Path, feed_server: LocalServer, repository: Repository, clock: Clock
) -> None:
    serve_briefing_room(feed_server)
    load(repository, tmp_path / "desk.yaml", PAGE_SOURCE.format(base=feed_server.url))
    pipeline = make_pipeline(repository, clock)

    first = pipeline.poll(only_source(repository))

    assert (first.new_items, first.error) == (4, None)
    items = {item.key: item for item in repository.unjudged_items()}
    rail = items[f"{feed_server.url}/news/2023/10/13/statement-on-rail-shipments-of-munitions"]
    assert rail.title == "Statement on rail shipments of munitions"
    assert "Tikhoretsk" in rail.text and "MUST-NOT-APPEAR" not in rail.text
    assert rail.published_at == datetime(2023, 10, 13, 14, 5, tzinfo=UTC)
    assert only_source(repository).etag == '"v1"'

    assert pipeline.poll(only_source(repository)).new_items == 0
    assert len(article_requests(feed_server)) == 4  # known articles are not fetched again


def test_articles_are_capped_per_poll_and_failed_ones_retried_on_the_next(
    tmp_path: Path, feed_server: LocalServer, repository: Repository, clock: Clock
) -> None:
    missing = "/briefings/2023-10-11-readout"
    serve_briefing_room(feed_server, missing=(missing,))
    load(repository, tmp_path / "desk.yaml", PAGE_SOURCE.format(base=feed_server.url))
    pipeline = make_pipeline(repository, clock, articles_per_poll=2)

    assert pipeline.poll(only_source(repository)).new_items == 2
    # Articles were left over: the page's validators are not kept, so it is read again in full.
    assert only_source(repository).etag is None
    outcome = pipeline.poll(only_source(repository))
    assert (outcome.new_items, outcome.error) == (1, None)  # the missing article is skipped
    assert only_source(repository).etag is None

    serve_briefing_room(feed_server)
    assert pipeline.poll(only_source(repository)).new_items == 1
    assert only_source(repository).etag == '"v1"'
    assert repository.count_items() == 4


def test_a_page_without_article_links_fails_with_a_clear_message(
    tmp_path: Path, feed_server: LocalServer, repository: Repository, clock: Clock
) -> None:
    serve_briefing_room(feed_server)
    source = f'  - {{name: M, url: "{feed_server.url}/news", kind: page, selector: ".gone a"}}\n'
    load(repository, tmp_path / "desk.yaml", source)

    outcome = make_pipeline(repository, clock).poll(only_source(repository))

    assert "no article links found (selector '.gone a')" in (outcome.error or "")
    assert "no article links found" in (only_source(repository).last_error or "")


# --- full text for feeds ----------------------------------------------------------------------

SUMMARY_FEED = """<rss version="2.0"><channel><title>Wire</title>
<item><title>Rail shipments</title><guid isPermaLink="false">rail</guid><link>{base}/articles/rail</link>
<description>Short summary of the rail story.</description></item>
<item><title>Gone</title><guid isPermaLink="false">gone</guid><link>{base}/articles/gone</link>
<description>Summary of a story whose page is gone.</description></item>
</channel></rss>"""


def test_full_text_replaces_the_summary_of_new_items_and_keeps_it_when_the_page_fails(
    tmp_path: Path, feed_server: LocalServer, repository: Repository, clock: Clock
) -> None:
    feed_server.responses["/wire.xml"] = Response(
        SUMMARY_FEED.format(base=feed_server.url).encode()
    )
    feed_server.responses["/articles/rail"] = Response((PAGES / "rail-munitions.html").read_bytes())
    source = f'  - {{name: Wire, url: "{feed_server.url}/wire.xml", full_text: true}}\n'
    load(repository, tmp_path / "desk.yaml", source)
    pipeline = make_pipeline(repository, clock)

    assert pipeline.poll(only_source(repository)).new_items == 2

    items = {item.key: item for item in repository.unjudged_items()}
    assert "Tikhoretsk" in items["rail"].text and items["rail"].title == "Rail shipments"
    assert items["gone"].text == "Summary of a story whose page is gone."
    pipeline.poll(only_source(repository))
    assert feed_server.paths_requested().count("/articles/rail") == 1  # new items only


# --- politeness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (429, "3600", timedelta(hours=1)),
        (503, format_datetime(NOW + timedelta(hours=2), usegmt=True), timedelta(hours=2)),
        (429, "86400", timedelta(hours=6)),  # capped
    ],
)
def test_retry_after_moves_the_next_poll(
    tmp_path: Path,
    feed_server: LocalServer,
    repository: Repository,
    clock: Clock,
    status: int,
    retry_after: str,
    wait: timedelta,
) -> None:
    feed_server.responses["/feed"] = Response(status=status, headers={"retry-after": retry_after})
    load(repository, tmp_path / "desk.yaml", f'  - {{name: F, url: "{feed_server.url}/feed"}}\n')

    make_pipeline(repository, clock).poll(only_source(repository))

    source = only_source(repository)
    assert source.next_poll_at == NOW + wait
    assert f"HTTP {status}" in (source.last_error or "")


def test_busy_sources_are_polled_sooner_and_quiet_ones_later(
    tmp_path: Path, feed_server: LocalServer, repository: Repository, clock: Clock
) -> None:
    feed_server.responses["/desk.xml"] = Response((FIXTURES / "feeds/desk.xml").read_bytes())
    load(
        repository, tmp_path / "desk.yaml", f'  - {{name: F, url: "{feed_server.url}/desk.xml"}}\n'
    )
    pipeline = make_pipeline(repository, clock)

    pipeline.poll(only_source(repository))  # three new items
    assert only_source(repository).next_poll_at == NOW + timedelta(minutes=7.5)
    clock.now += timedelta(minutes=8)
    pipeline.poll(only_source(repository))  # nothing new
    source = only_source(repository)
    assert source.current_interval == timedelta(seconds=562)  # 7.5 minutes x 1.25, rounded
    assert source.next_poll_at == clock.now + source.current_interval


def test_poll_many_puts_at_most_two_requests_on_one_host(
    tmp_path: Path, repository: Repository, clock: Clock
) -> None:
    busy, other = SlowRoute(), SlowRoute()
    with LocalServer() as host_a, LocalServer() as host_b:
        lines = ""
        for n in range(5):
            host_a.responses[f"/f{n}"] = busy
            lines += f'  - {{name: A{n}, url: "{host_a.url}/f{n}"}}\n'
        host_b.responses["/f"] = other
        lines += f'  - {{name: B, url: "{host_b.url}/f"}}\n'
        load(repository, tmp_path / "desk.yaml", lines)
        sources = repository.sources()

        outcomes = make_pipeline(repository, clock).poll_many(sources)

    assert [o.source.name for o in outcomes] == ["A0", "A1", "A2", "A3", "A4", "B"]
    assert busy.most == 2 and other.most == 1


# --- giving up on a source, and trying again ----------------------------------------------------


def test_a_source_failing_for_a_day_is_disabled_until_its_watchlist_is_edited(
    tmp_path: Path, feed_server: LocalServer, repository: Repository, clock: Clock
) -> None:
    feed_server.responses["/feed"] = Response(b"on fire", status=500)
    path = tmp_path / "desk.yaml"
    lines = f'  - {{name: Broken, url: "{feed_server.url}/feed"}}\n'
    load(repository, path, lines)
    pipeline = make_pipeline(repository, clock)

    for _ in range(10):  # ten failures, three hours apart: 27 hours
        assert only_source(repository).enabled
        pipeline.poll(only_source(repository))
        clock.now += timedelta(hours=3)

    source = only_source(repository)
    assert not source.enabled and repository.sources() == []
    assert source.disabled_reason == (
        "10 failed polls in a row since 2024-03-01 12:00 UTC; "
        f"last: {feed_server.url}/feed: HTTP 500 Internal Server Error"
    )
    load(repository, path, lines, clock.now)  # reloaded, not edited
    assert not only_source(repository).enabled

    load(repository, path, lines.replace("Broken", "Broken feed"), clock.now)
    source = only_source(repository)
    assert source.enabled and source.disabled_reason is None
    assert (source.error_count, source.next_poll_at) == (0, clock.now)


def test_monitor_sources_shows_items_per_day_and_why_a_source_is_disabled(
    tmp_path: Path, feed_server: LocalServer, repository: Repository
) -> None:
    # Late in the day: the CLI's "last 7 days" must bucket by the same clock as the poll.
    clock = Clock(datetime(2026, 11, 23, 23, 59, 30, tzinfo=UTC))
    now = clock.now
    feed_server.responses["/desk.xml"] = Response((FIXTURES / "feeds/desk.xml").read_bytes())
    lines = f'  - {{name: Wire, url: "{feed_server.url}/desk.xml"}}\n'
    lines += f'  - {{name: Dead, url: "{feed_server.url}/dead.xml"}}\n'
    load(repository, tmp_path / "desk.yaml", lines, now)
    make_pipeline(repository, clock).poll_many(repository.sources())
    dead = next(s for s in repository.sources() if s.name == "Dead")
    repository.record_fetch(dead.id, now, now, error="HTTP 404", disabled_reason="gave up")

    url = str(repository.engine.url)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:  # the command sets up logging on the runner's stream, closed afterwards
        result = run_cli(["sources"], env={"MONITOR_DATABASE_URL": url}, clock=clock)
    finally:
        root.handlers[:], root.level = handlers, level

    assert result.exit_code == 0, result.output
    assert "[ok] Wire" in result.output and "[disabled] Dead" in result.output
    assert "items per day, last 7 days (oldest first): 0 0 0 0 0 0 3" in result.output
    assert "disabled: gave up" in result.output


# --- hostile and broken feeds fail alone -------------------------------------------------------


def test_each_bad_feed_is_recorded_on_its_source_and_the_others_go_on(
    tmp_path: Path, feed_server: LocalServer, repository: Repository, clock: Clock
) -> None:
    mislabelled = (FIXTURES / "feeds/declared-utf8-but-cp1252.xml").read_bytes()
    feed_server.responses["/bomb.xml"] = Response(
        (FIXTURES / "feeds/billion-laughs.xml").read_bytes()
    )
    feed_server.responses["/page.xml"] = Response(b"<html><body>Maintenance</body></html>")
    feed_server.responses["/cp1252.xml"] = Response(mislabelled)
    lines = "".join(
        f'  - {{name: {name}, url: "{feed_server.url}/{name}.xml"}}\n'
        for name in ("bomb", "page", "cp1252")
    )
    load(repository, tmp_path / "desk.yaml", lines)

    outcomes = {
        o.source.name: o for o in make_pipeline(repository, clock).poll_many(repository.sources())
    }

    assert "declares XML entities" in (outcomes["bomb"].error or "")
    assert "not a readable feed" in (outcomes["page"].error or "")
    assert (outcomes["cp1252"].new_items, outcomes["cp1252"].error) == (1, None)
    [item] = repository.unjudged_items()
    assert item.title == "Minister’s café statement — €5m"
    stored = {s.name: s for s in repository.sources()}
    assert "declares XML entities" in (stored["bomb"].last_error or "")
    assert stored["cp1252"].last_error is None
