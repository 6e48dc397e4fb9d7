"""Feeds parsed in a parser process: same entries, and a hang or crash fails that feed alone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.ingest.dedup import sketch
from monitor.ingest.feeds import ParsedFeed, read_feed
from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.ingest.parsing import InlineReader, ProcessReader
from monitor.judge.stance import MentionsOnly
from monitor.notify.slack import ConsoleSink
from monitor.pipeline import Pipeline
from monitor.store import open_store
from monitor.types import FetchResult, SourceSpec, Watchlist
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.paths import FIXTURES
from tests.support.servers import LocalServer, Response

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
DESK = (FIXTURES / "feeds/desk.xml").read_bytes()


def fetched(url: str, content: bytes = DESK) -> FetchResult:
    return FetchResult(url, 200, content, "application/rss+xml")


def hang_on_slow_feeds(result: FetchResult, now: datetime) -> ParsedFeed:
    """Parses like read_feed, but a feed at a '/slow' URL takes a minute."""
    if result.url.endswith("/slow"):
        time.sleep(60)
    return read_feed(result, now)


def crash_on_poison(result: FetchResult, now: datetime) -> ParsedFeed:
    """Parses like read_feed, but a feed at a '/poison' URL kills the parser process."""
    if result.url.endswith("/poison"):
        os._exit(70)
    return read_feed(result, now)


@pytest.fixture
def reader() -> Iterator[ProcessReader]:
    process_reader = ProcessReader(1)
    yield process_reader
    process_reader.close()


LONG = (
    b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Shells</title><link>https://wire.example/shells</link><description>"""
    + (b" ".join(b"word%d" % n for n in range(80)))
    + b"""</description></item></channel></rss>"""
)


def test_a_parser_process_reads_what_the_polling_thread_would(reader: ProcessReader) -> None:
    for content in (DESK, LONG):
        parsed = reader.read(fetched("https://desk.example/feed", content), NOW)
        assert parsed == InlineReader().read(fetched("https://desk.example/feed", content), NOW)
        plain = read_feed(fetched("https://desk.example/feed", content), NOW).entries
        assert [replace(e, sketch=None) for e in parsed.entries] == plain
        # Each entry comes with its near-duplicate sketch, computed in the parser process.
        assert [e.sketch for e in parsed.entries] == [sketch(e.text) for e in plain]
    assert parsed.entries[0].sketch  # 80 words: long enough to be sketched


def test_a_parse_error_in_the_parser_process_names_the_feed(reader: ProcessReader) -> None:
    with pytest.raises(ParseError, match="https://desk.example/broken: not a readable feed"):
        reader.read(fetched("https://desk.example/broken", b"<html><p>Error 500</p>"), NOW)


def test_a_feed_that_takes_too_long_to_parse_fails_alone() -> None:
    reader = ProcessReader(1, deadline=2, parse=hang_on_slow_feeds)
    try:
        started = time.monotonic()
        with pytest.raises(ParseError, match="parsing took longer than 2 s and was stopped"):
            reader.read(fetched("https://desk.example/slow"), NOW)
        assert time.monotonic() - started < 30
        assert len(reader.read(fetched("https://desk.example/feed"), NOW).entries) == 3
    finally:
        reader.close()


def test_a_feed_that_crashes_the_parser_fails_alone() -> None:
    reader = ProcessReader(1, parse=crash_on_poison)
    try:
        with pytest.raises(ParseError, match="the feed parser crashed on it"):
            reader.read(fetched("https://desk.example/poison"), NOW)
        assert len(reader.read(fetched("https://desk.example/feed"), NOW).entries) == 3
    finally:
        reader.close()


def test_polling_with_a_parser_process_stores_every_feed(
    tmp_path: Path, feed_server: LocalServer, reader: ProcessReader
) -> None:
    specs = []
    for number in range(6):
        feed_server.responses[f"/f{number}.xml"] = Response(
            DESK.replace(b"test-wire-", f"f{number}-wire-".encode())
        )
        specs.append(SourceSpec(f"Feed {number}", f"{feed_server.url}/f{number}.xml"))
    feed_server.responses["/bad.xml"] = Response(b"<html>Not here</html>")
    specs.append(SourceSpec("Bad", f"{feed_server.url}/bad.xml"))
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    repository.sync_watchlists([Watchlist("desk", "Desk", "#desk", tuple(specs), ())], NOW)
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    pipeline = Pipeline(
        repository,
        fetcher,
        HashingEmbedder(),
        MentionsOnly(),
        ConsoleSink(),
        reader=reader,
        clock=lambda: NOW,
    )
    try:
        outcomes = pipeline.poll_many(repository.sources())
    finally:
        fetcher.close()
    assert [o.new_items for o in outcomes] == [3] * 6 + [0]
    assert outcomes[-1].error is not None and "bad.xml: not a readable feed" in outcomes[-1].error
    assert repository.count_items() == 18


def test_polling_goes_on_when_fetched_bodies_fill_the_backlog(
    tmp_path: Path, feed_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lanes wait while the bodies they fetched wait to be stored; one always fits."""
    monkeypatch.setattr("monitor.pipeline.polling.BACKLOG_BYTES", 1)
    specs = []
    for number in range(12):
        feed_server.responses[f"/f{number}.xml"] = Response(
            DESK.replace(b"test-wire-", f"f{number}-wire-".encode())
        )
        specs.append(SourceSpec(f"Feed {number}", f"{feed_server.url}/f{number}.xml"))
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    repository.sync_watchlists([Watchlist("desk", "Desk", "#desk", tuple(specs), ())], NOW)
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    pipeline = Pipeline(
        repository, fetcher, HashingEmbedder(), MentionsOnly(), ConsoleSink(), clock=lambda: NOW
    )
    try:
        outcomes = pipeline.poll_many(repository.sources())
    finally:
        fetcher.close()
    assert [o.new_items for o in outcomes] == [3] * 12
    assert sorted(feed_server.paths_requested()) == sorted(f"/f{n}.xml" for n in range(12))
