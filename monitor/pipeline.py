"""The pipeline: poll sources, store new items, judge them against claims, deliver alerts.

This module wires the parts together; each step's logic lives in its own module. The clock is
passed in, so tests control time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import urlsplit

import numpy as np

from monitor.alerting import like_rejected
from monitor.clock import Clock
from monitor.errors import FetchError, ParseError, StorageError, ThrottledError
from monitor.ingest.articles import with_full_text
from monitor.ingest.fetch import Fetcher
from monitor.ingest.pages import ARTICLES_PER_POLL, article_links, read_articles
from monitor.ingest.parsing import FeedReader, InlineReader
from monitor.ingest.policy import after_failure, after_success, retry_after_delay
from monitor.ingest.websub import Subscriber
from monitor.judge import reading
from monitor.judge.embed import Embedder
from monitor.judge.match import ClaimIndex, best_matches, phrasings
from monitor.judge.passages import passages
from monitor.judge.relevance import SIMILARITY_ONLY, Relevance
from monitor.judge.stance import StanceClassifier, StanceQuery
from monitor.metrics import (
    ERRORS,
    EVIDENCE,
    ITEMS_FETCHED,
    ITEMS_JUDGED,
    ITEMS_STORED,
    POLLS,
    timed,
)
from monitor.notify.outbox import DeliveryReport, Outbox
from monitor.notify.slack import AlertSink
from monitor.store import Repository
from monitor.types import (
    Claim,
    Evidence,
    FeedEntry,
    FetchResult,
    Item,
    Match,
    ReportedStance,
    Source,
    SourceKind,
    StanceResult,
)

log = logging.getLogger(__name__)
JUDGE_BATCH = 256
# poll_many: threads that parse and store what the host lanes fetched (mostly waiting on the
# parser process and the database, so several), and how many bytes of fetched bodies may wait
# for them (a bound on memory: lanes pause when it is reached).
SETTLERS = 8
BACKLOG_BYTES = 32 << 20


@dataclass(frozen=True)
class PollOutcome:
    """What polling one source did."""

    source: Source
    new_items: int = 0
    not_modified: bool = False
    error: str | None = None


@dataclass
class CycleReport:
    """What one full cycle (poll, judge, deliver) did."""

    polled: list[PollOutcome] = field(default_factory=list)
    evidence: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def failed_sources(self) -> list[PollOutcome]:
        return [p for p in self.polled if p.error]


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


def default_worker() -> str:
    """This process's name in leases: host name and process id (stable in a container)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Pipeline:
    """Everything between a source and a delivered alert."""

    def __init__(
        self,
        repository: Repository,
        fetcher: Fetcher,
        embedder: Embedder,
        stance: StanceClassifier,
        sink: AlertSink,
        *,
        clock: Clock,
        concurrency: int = 8,
        articles_per_poll: int = ARTICLES_PER_POLL,
        websub: Subscriber | None = None,
        outbox: Outbox | None = None,
        lease: timedelta = timedelta(minutes=10),
        reader: FeedReader | None = None,
        worker: str | None = None,
        relevance: Relevance = SIMILARITY_ONLY,
    ) -> None:
        self.repository = repository
        self.fetcher = fetcher
        self.embedder = embedder
        self.stance = stance
        self.sink = sink
        self.clock = clock
        self.concurrency = concurrency
        self.articles_per_poll = articles_per_poll
        self.websub = websub
        self.outbox = outbox or Outbox(repository, sink, clock)
        self.lease = lease  # how long a batch being judged is held from other workers
        self.worker = worker or default_worker()  # names this process in the leases it holds
        self.reader = reader or InlineReader()  # parses feeds (maybe in another process)
        # Which candidates are evidence: the composition root pairs it with the classifier.
        self.relevance = relevance
        self._judging = threading.Lock()
        self._delivering = threading.Lock()

    # --- ingest -------------------------------------------------------------------------

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
        backlog = _Backlog(BACKLOG_BYTES)

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

    # --- judge --------------------------------------------------------------------------

    def judge_pending(self) -> int:
        """Match every unjudged item against its watchlists' claims; returns alerts queued."""
        queued = 0
        with self._judging:
            # Leased, so that workers sharing the database judge each item once; a worker
            # that dies leaves its batch to the others when the lease ends.
            while batch := self.repository.lease_unjudged(
                JUDGE_BATCH, self.clock(), self.clock() + self.lease, self.worker
            ):
                queued += self._judge_or_release(batch)
        return queued

    def _judge_or_release(self, batch: list[Item]) -> int:
        """Judge a leased batch; when that fails (a crash of the model, a full disk) give the
        items back at once rather than leave them waiting out the lease."""
        judged = False
        try:
            queued = self._judge(batch)
            judged = True
            return queued
        finally:
            if not judged:
                self._release([item.id for item in batch])

    def _release(self, item_ids: list[int]) -> None:
        try:
            self.repository.release_judge_leases(item_ids)
        except StorageError as err:  # the lease runs out anyway
            log.warning("could not give back %d items being judged: %s", len(item_ids), err)

    def reclaim_judge_leases(self) -> int:
        """At start: take back the items this worker (by name) held when it last stopped."""
        released = self.repository.release_judge_leases(owner=self.worker)
        if released:
            log.info("took back %d items this worker was judging when it stopped", released)
        return released

    def _judge(self, items: list[Item]) -> int:
        claims_of = self.repository.claims_by_source({item.source_id for item in items})
        texts = {item.id: passages(item) for item in items}
        claim_by_id = {c.id: c for claims in claims_of.values() for c in claims}
        # Each distinct text is embedded once, whichever items or claims it appears in.
        distinct = list(
            dict.fromkeys(
                [p for group in texts.values() for p in group]
                + [p for claim in claim_by_id.values() for p in phrasings(claim.spec)]
            )
        )
        with timed("embed"):
            vector_of = dict(zip(distinct, self.embedder.encode(distinct), strict=True))
        # Kept for the archive that claim previews and backfills search (monitor.store.vectors).
        self.repository.vectors.add(self.embedder.model_key, texts, vector_of)
        indexes = {
            source_id: ClaimIndex.build(claims, vector_of)
            for source_id, claims in claims_of.items()
        }
        matches: list[tuple[Item, Match]] = []
        with timed("match"):
            for item in items:
                group = texts[item.id]
                if group:
                    matrix = np.stack([vector_of[p] for p in group])
                    index = indexes[item.source_id]
                    found = best_matches(item.id, group, matrix, index, gate=self._gate)
                    matches.extend((item, match) for match in found)
        with timed("stance"):
            read = self._stances(matches, claim_by_id, texts)
        matches = [m for m, e in zip(matches, read, strict=True) if e is not None]
        evidence = [e for e in read if e is not None]
        evidence = self._without_rejected(evidence, matches, vector_of)
        with timed("record"):
            queued = self.repository.record_judgement([i.id for i in items], evidence, self.clock())
        ITEMS_JUDGED.inc(len(items))
        for piece in evidence:
            EVIDENCE.labels(stance=piece.stance.value).inc()
        return queued

    def _without_rejected(
        self,
        evidence: list[Evidence],
        matches: Sequence[tuple[Item, Match]],
        vector_of: dict[str, np.ndarray],
    ) -> list[Evidence]:
        """Evidence like what editors marked not relevant for its claim is kept, unalerted."""
        rejected = self.repository.not_relevant_quotes({e.claim_id for e in evidence})
        if not rejected:
            return evidence
        quotes = list(dict.fromkeys(q for group in rejected.values() for q in group))
        vectors = dict(zip(quotes, self.embedder.encode(quotes), strict=True))
        kept = []
        for found, (_, match) in zip(evidence, matches, strict=True):
            negatives = [vectors[q] for q in rejected.get(found.claim_id, ())]
            if negatives and found.alert:
                closest = float(np.max(np.stack(negatives) @ vector_of[match.passage]))
                if like_rejected(closest):
                    log.info("claim %d: item %d is like one marked not relevant (%.2f)",
                             found.claim_id, found.item_id, closest)  # fmt: skip
                    found = replace(found, alert=False)
            kept.append(found)
        return kept

    def _gate(self, claim: Claim) -> float:
        return self.relevance.gate(claim.threshold)

    def _stances(
        self,
        matches: Sequence[tuple[Item, Match]],
        claim_by_id: dict[int, Claim],
        texts: dict[int, list[str]],
    ) -> list[Evidence | None]:
        """Read each candidate as a desk would (:mod:`monitor.judge.reading`): the stance model
        on the item, and on its news alone where a denial stands outside it; then the relevance
        decision. None for a candidate that is not evidence."""
        queries = [
            StanceQuery(claim_by_id[m.claim_id].text, m.context or (m.passage,), i.title, i.text)
            for i, m in matches
        ]
        verdicts = self.stance.classify(queries) if queries else []
        reported = [
            reading.reported_denials(claim_by_id[m.claim_id].text, texts[i.id], m.context)
            for i, m in matches
        ]
        wanted = [
            n
            for n, ((item, match), verdict) in enumerate(zip(matches, verdicts, strict=True))
            if reading.needs_news_reading(
                claim_by_id[match.claim_id].text, texts[item.id], verdict, reported[n]
            )
        ]
        news_queries = [
            reading.news_query(
                claim_by_id[matches[n][1].claim_id].text,
                matches[n][0].title,
                texts[matches[n][0].id],
            )
            for n in wanted
        ]
        news = dict(zip(wanted, self.stance.classify(news_queries) if wanted else [], strict=True))
        return [
            self._evidence(
                claim_by_id[match.claim_id],
                item,
                match,
                texts[item.id],
                verdict,
                news.get(n),
                reported[n],
            )
            for n, ((item, match), verdict) in enumerate(zip(matches, verdicts, strict=True))
        ]

    def _evidence(
        self,
        claim: Claim,
        item: Item,
        match: Match,
        group: Sequence[str],
        overall: StanceResult,
        news: StanceResult | None,
        reported: Sequence[ReportedStance],
    ) -> Evidence | None:
        if not self.relevance.bears_on(match.score, overall.related, claim.threshold, match.margin):
            return None
        verdict, others = reading.primary(claim.text, group, overall, news, reported)
        return Evidence(
            claim_id=match.claim_id,
            item_id=item.id,
            score=match.score,
            quote=verdict.quote,
            stance=verdict.stance,
            stance_confidence=round(verdict.confidence, 4),
            holder=reading.holder_of(verdict, group),
            reported=others,
            related=round(overall.related, 4) if self.relevance.uses_related else None,
        )

    # --- deliver ------------------------------------------------------------------------

    def deliver(self, *, patient: bool = False) -> DeliveryReport:
        """Send what waits in the outbox (``patient``: waiting out Slack's 429s, bounded)."""
        with self._delivering, timed("deliver"):
            return self.outbox.deliver_patiently() if patient else self.outbox.deliver()

    def run_cycle(self, sources: Sequence[Source], *, patient: bool = False) -> CycleReport:
        """Poll ``sources``, judge everything new, deliver alerts (``patient``: a one-off run
        waits out Slack's Retry-After, up to a bound, so that it delivers what it found)."""
        report = CycleReport(polled=self.poll_many(sources))
        report.evidence = self.judge_pending()
        report.delivery = self.deliver(patient=patient)
        return report


class _Backlog:
    """Bytes fetched and waiting to be parsed and stored; takers wait while it is full."""

    MIN_SIZE = 1024  # what an empty body or an error counts for

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.waiting = 0
        self._changed = threading.Condition()

    def take(self, size: int) -> int:
        """Wait for room for ``size`` bytes (one body always fits); the size to release."""
        size = max(size, self.MIN_SIZE)
        with self._changed:
            self._changed.wait_for(lambda: not self.waiting or self.waiting + size <= self.limit)
            self.waiting += size
        return size

    def release(self, size: int) -> None:
        with self._changed:
            self.waiting -= size
            self._changed.notify_all()


def host_lanes(sources: Sequence[Source], per_host: int) -> list[list[Source]]:
    """Split sources into lanes polled one after another, at most ``per_host`` lanes a host.

    Running lanes in parallel then never puts more than ``per_host`` requests on one host, and
    no worker sits waiting for a host's turn while other hosts' sources are due.
    """
    by_host: dict[str, list[Source]] = {}
    for source in sources:
        by_host.setdefault(urlsplit(source.url).netloc.lower(), []).append(source)
    lanes: list[tuple[float, list[Source]]] = []
    for group in by_host.values():
        # Longest-first greedy: each source, slowest last time first, joins the host's lane
        # with the least expected time, so two slow sources do not queue behind each other.
        host: list[tuple[float, list[Source]]] = [
            (0.0, []) for _ in range(min(per_host, len(group)))
        ]
        for source in sorted(group, key=lambda s: -expected_seconds(s)):
            index = min(range(len(host)), key=lambda i: host[i][0])
            total, lane = host[index]
            host[index] = (total + expected_seconds(source), [*lane, source])
        lanes.extend(host)
    # The longest lanes start first, instead of holding the cycle open at its end.
    lanes.sort(key=lambda entry: -entry[0])
    return [lane for _, lane in lanes]


def expected_seconds(source: Source) -> float:
    """How long polling ``source`` should take: its last poll's time (1 s if unknown)."""
    return source.last_duration if source.last_duration is not None else 1.0
