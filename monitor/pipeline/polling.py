"""Polling: fetch a source in its host's lane, read and store its new items, record how it went
and when to poll next; :meth:`PollingMixin.poll_many` runs many sources through the lanes."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from monitor.errors import FetchError, ParseError, StorageError, ThrottledError
from monitor.ingest.articles import with_full_text
from monitor.ingest.pages import article_links, read_articles
from monitor.ingest.policy import after_failure, after_success, retry_after_delay
from monitor.metrics import (
    ERRORS,
    ITEMS_FETCHED,
    ITEMS_STORED,
    POLLS,
    timed,
)
from monitor.pipeline.base import PipelineBase
from monitor.pipeline.lanes import BACKLOG_BYTES, SETTLERS, Backlog, host_lanes
from monitor.types import (
    FeedEntry,
    FetchResult,
    Source,
    SourceKind,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    """What polling one source did."""

    source: Source
    new_items: int = 0
    not_modified: bool = False
    error: str | None = None


@dataclass(frozen=True)
class _Fetched:
    """A source's fetch, waiting to be parsed and stored (or its error, to be recorded)."""

    source: Source
    started: float  # time.monotonic() when the poll began
    result: FetchResult | None = None
    read: _Read | None = None  # pages and full-text feeds are read while fetching
    error: FetchError | ParseError | ThrottledError | None = None


@dataclass(frozen=True)
class _Read:
    """Entries read from a fetched source; ``complete`` is False when some were left for the
    next poll (its validators are then not kept, so the next poll reads the page again)."""

    entries: list[FeedEntry]
    complete: bool = True
    throttled: ThrottledError | None = None
    hub: str | None = None
    topic: str | None = None


class PollingMixin(PipelineBase):
    """Sources in, stored items out."""

    def poll(self, source: Source) -> PollOutcome:
        """Fetch one source, store its new items and record how it went. Never raises.

        A database failure (a locked SQLite file, a lost connection) fails this source's poll
        alone; its items are fetched again next time.
        """
        return self._settle(self._fetch(source))

    def _fetch(self, source: Source) -> _Fetched:
        """The network half of a poll: the conditional GET, and for pages and full-text feeds
        the articles too. Fetch errors are kept for :meth:`_settle` to record."""
        started = time.monotonic()
        try:
            with timed("fetch"):
                result = self.fetcher.fetch(source.url, source.etag, source.last_modified)
            read = None
            if not result.not_modified and (source.kind is SourceKind.PAGE or source.full_text):
                with timed("parse"):
                    read = self._read(source, result)
            return _Fetched(source, started, result, read)
        except (ThrottledError, FetchError, ParseError) as err:
            return _Fetched(source, started, error=err)

    def _settle(self, fetched: _Fetched) -> PollOutcome:
        """The rest of a poll: parse, store the new items, record the outcome. Never raises."""
        source = fetched.source
        try:
            outcome = self._store(fetched)
        except StorageError as err:
            log.error("source %s: not stored: %s", source.name, err)
            ERRORS.labels(stage="store").inc()
            outcome = PollOutcome(source, error=str(err))
        result = "error" if outcome.error else "not_modified" if outcome.not_modified else "ok"
        POLLS.labels(outcome=result).inc()
        ITEMS_STORED.inc(outcome.new_items)
        return outcome

    def _store(self, fetched: _Fetched) -> PollOutcome:
        source, started, result = fetched.source, fetched.started, fetched.result
        try:
            if fetched.error is not None:
                raise fetched.error
            assert result is not None  # a fetch without an error has its result
            if result.not_modified:
                self._succeeded(source, 0, source.etag, source.last_modified, started)
                return PollOutcome(source, not_modified=True)
            read = fetched.read
            if read is None:
                with timed("parse"):
                    read = self._read(source, result)
            ITEMS_FETCHED.inc(len(read.entries))
            with timed("store"):
                new = self.repository.add_items(source.id, read.entries, self.clock())
            if read.throttled:  # what was read is kept; the source still waits as asked
                raise read.throttled
        except ThrottledError as err:
            delay = retry_after_delay(err.retry_after, self.clock())
            return self._failed(source, err, started, delay)
        except (FetchError, ParseError) as err:
            return self._failed(source, err, started)
        validators = (result.etag, result.last_modified) if read.complete else (None, None)
        self._succeeded(source, len(new), *validators, started)
        log.info("source %s: %d new of %d items", source.name, len(new), len(read.entries))
        if source.kind is SourceKind.FEED:
            self._follow_hub(source, read)
        return PollOutcome(source, new_items=len(new))

    def _follow_hub(self, source: Source, read: _Read) -> None:
        """Remember the feed's WebSub hub and subscribe when push is configured."""
        if (read.hub, read.topic) != (source.hub_url, source.topic_url):
            source = self.repository.record_hub(source.id, read.hub, read.topic)
        if self.websub is not None:
            self.websub.subscribe_if_needed(source)

    def _read(self, source: Source, result: FetchResult) -> _Read:
        if source.kind is SourceKind.PAGE:
            return self._read_page(source, result)
        feed = self.reader.read(result, self.clock())
        entries = feed.entries
        if source.full_text:
            fresh = set(self.repository.unseen_keys([e.key for e in entries]))
            entries = [e for e in entries if e.key in fresh]
            limit = self.articles_per_poll
            entries = with_full_text(self.fetcher, entries, self.clock(), limit)
        return _Read(entries, hub=feed.hub, topic=feed.topic)

    def _read_page(self, source: Source, result: FetchResult) -> _Read:
        """The new articles a listing page links to, at most ``articles_per_poll`` a poll."""
        fresh = self.repository.unseen_keys(article_links(result, source.selector))
        batch = read_articles(self.fetcher, fresh[: self.articles_per_poll], self.clock())
        left = len(fresh) > self.articles_per_poll or bool(batch.failures or batch.throttled)
        return _Read(batch.entries, complete=not left, throttled=batch.throttled)

    def _succeeded(
        self,
        source: Source,
        new_items: int,
        etag: str | None,
        last_modified: str | None,
        started: float,
    ) -> None:
        now = self.clock()
        schedule = after_success(source, now, new_items)
        self.repository.record_fetch(
            source.id,
            now,
            schedule.next_poll_at,
            etag=etag,
            last_modified=last_modified,
            interval=schedule.interval,
            duration=time.monotonic() - started,
        )

    def _failed(
        self,
        source: Source,
        err: Exception,
        started: float,
        retry_after: timedelta | None = None,
    ) -> PollOutcome:
        now = self.clock()
        schedule = after_failure(source, now, str(err), retry_after)
        self.repository.record_fetch(
            source.id,
            now,
            schedule.next_poll_at,
            error=str(err),
            disabled_reason=schedule.disabled_reason,
            duration=time.monotonic() - started,
        )
        log.warning("source %s failed: %s", source.name, err)
        if schedule.disabled_reason:
            log.error("source %s disabled: %s", source.name, schedule.disabled_reason)
        return PollOutcome(source, error=str(err))

    def poll_many(self, sources: Sequence[Source]) -> list[PollOutcome]:
        """Poll sources concurrently, at most the fetcher's ``per_host`` of one host at a time;
        one failing source never stops the others. Outcomes come in the order of ``sources``.

        Each host's lane only fetches: what it fetched is parsed and stored by a few other
        threads while the lane goes on to its next source, so a host with many feeds is not
        held up by the parsing of each. At most :data:`BACKLOG_BYTES` of fetched bodies wait.
        """
        if not sources:
            return []
        lanes = host_lanes(sources, self.fetcher.policy.per_host)
        backlog = Backlog(BACKLOG_BYTES)

        def settle(fetched: _Fetched, size: int) -> PollOutcome:
            try:
                return self._settle(fetched)
            finally:
                backlog.release(size)

        def run(lane: list[Source], settlers: ThreadPoolExecutor) -> list[Future[PollOutcome]]:
            handed: list[Future[PollOutcome]] = []
            for source in lane:
                fetched = self._fetch(source)
                size = backlog.take(len(fetched.result.content) if fetched.result else 0)
                handed.append(settlers.submit(settle, fetched, size))
            return handed

        with (
            # No more settlers than lanes at a time: with concurrency 1, sources are stored in
            # the order they were fetched (which outlet carried a story first).
            ThreadPoolExecutor(max_workers=min(SETTLERS, self.concurrency)) as settlers,
            ThreadPoolExecutor(max_workers=min(self.concurrency, len(lanes))) as fetchers,
        ):
            lane_results = list(fetchers.map(lambda lane: run(lane, settlers), lanes))
            by_id = {
                future.result().source.id: future.result()
                for handed in lane_results
                for future in handed
            }
        return [by_id[source.id] for source in sources]
