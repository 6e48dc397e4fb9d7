"""Where feeds are parsed: in the polling thread, or in parser processes with a deadline.

feedparser is pure Python. Parsing a thousand feeds takes seconds of CPU under the GIL, time
the polling threads of the same process cannot use; in a parser process it runs on another
core, and so does the near-duplicate sketch of each entry's text (:func:`read_and_sketch`).
The process also contains failures: a feed that takes longer than the deadline to parse, or
that crashes the parser, is that feed's :class:`~monitor.errors.ParseError` (the process is
replaced), and every other feed goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from pebble import ProcessExpired, ProcessPool

from monitor.errors import ParseError
from monitor.ingest.dedup import sketch
from monitor.ingest.feeds import ParsedFeed, read_feed
from monitor.types import FetchResult

log = logging.getLogger(__name__)
PARSE_DEADLINE = 30.0  # seconds one feed may take to parse in a parser process


def read_and_sketch(result: FetchResult, now: datetime) -> ParsedFeed:
    """:func:`~monitor.ingest.feeds.read_feed`, each entry with its near-duplicate sketch."""
    feed = read_feed(result, now)
    entries = [replace(entry, sketch=sketch(entry.text)) for entry in feed.entries]
    return replace(feed, entries=entries)


class FeedReader(Protocol):
    """Parses fetched feeds (see :func:`monitor.ingest.feeds.read_feed`)."""

    def read(self, result: FetchResult, now: datetime) -> ParsedFeed: ...

    def close(self) -> None: ...


class InlineReader:
    """Parses in the calling thread: no extra process (tests, one-off commands)."""

    def read(self, result: FetchResult, now: datetime) -> ParsedFeed:
        return read_and_sketch(result, now)

    def close(self) -> None:
        pass


Parse = Callable[[FetchResult, datetime], ParsedFeed]


class ProcessReader:
    """Parses in ``processes`` parser processes (started on first use), each feed within
    ``deadline`` seconds; thread-safe. ``parse`` must be a module-level function."""

    def __init__(
        self, processes: int = 1, deadline: float = PARSE_DEADLINE, parse: Parse = read_and_sketch
    ) -> None:
        # spawn, not fork: the polling process runs threads, which fork does not copy safely.
        self._pool = ProcessPool(
            max_workers=processes, context=multiprocessing.get_context("spawn")
        )
        self.deadline = deadline
        self._parse = parse
        self._broken = False

    def read(self, result: FetchResult, now: datetime) -> ParsedFeed:
        if self._broken:
            return self._parse(result, now)
        try:
            future = self._pool.schedule(self._parse, args=(result, now), timeout=self.deadline)
            parsed: ParsedFeed = future.result()
        except BrokenProcessPool as err:
            # Parser processes cannot start at all (e.g. a script without a __main__ guard):
            # parse here rather than fail every feed.
            log.error("feed parser processes unavailable, parsing in-process: %s", err)
            self._broken = True
            return self._parse(result, now)
        except FutureTimeout as err:
            raise ParseError(
                f"{result.url}: parsing took longer than {self.deadline:g} s and was stopped"
            ) from err
        except ProcessExpired as err:
            log.error("feed parser process died on %s: %s", result.url, err)
            raise ParseError(f"{result.url}: the feed parser crashed on it ({err})") from err
        return parsed

    def close(self) -> None:
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join()


def make_reader(processes: int) -> FeedReader:
    """Parser processes when ``processes`` > 0, else parsing in the polling threads."""
    return ProcessReader(processes) if processes > 0 else InlineReader()
