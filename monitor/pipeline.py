"""The pipeline: poll sources, store new items, judge them against claims, deliver alerts.

This module wires the parts together; each step's logic lives in its own module. The clock is
passed in, so tests control time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from monitor.errors import FetchError, ParseError
from monitor.ingest.feeds import parse_feed
from monitor.ingest.fetch import Fetcher
from monitor.ingest.policy import next_poll_at
from monitor.judge.embed import Embedder
from monitor.judge.match import ClaimIndex, best_matches
from monitor.judge.passages import passages
from monitor.judge.stance import StanceClassifier
from monitor.notify.outbox import DeliveryReport, deliver_pending
from monitor.notify.slack import AlertSink
from monitor.store import Repository
from monitor.types import Evidence, Item, Source, SourceKind

log = logging.getLogger(__name__)
JUDGE_BATCH = 256


def utcnow() -> datetime:
    return datetime.now(UTC)


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
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = 8,
    ) -> None:
        self.repository = repository
        self.fetcher = fetcher
        self.embedder = embedder
        self.stance = stance
        self.sink = sink
        self.clock = clock
        self.concurrency = concurrency
        self._judging = threading.Lock()
        self._delivering = threading.Lock()

    # --- ingest -------------------------------------------------------------------------

    def poll(self, source: Source) -> PollOutcome:
        """Fetch one source, store its new items and record how it went. Never raises."""
        try:
            result = self.fetcher.fetch(source.url, source.etag, source.last_modified)
            if result.not_modified:
                self._record(source, etag=source.etag, last_modified=source.last_modified)
                return PollOutcome(source, not_modified=True)
            if source.kind is not SourceKind.FEED:
                raise ParseError(
                    f"{source.url}: source kind {source.kind.value!r} not supported yet"
                )
            entries = parse_feed(result, self.clock())
            new = self.repository.add_items(source.id, entries, self.clock())
        except (FetchError, ParseError) as err:
            self._record(source, error=str(err))
            log.warning("source %s failed: %s", source.name, err)
            return PollOutcome(source, error=str(err))
        self._record(source, etag=result.etag, last_modified=result.last_modified)
        log.info("source %s: %d new of %d items", source.name, len(new), len(entries))
        return PollOutcome(source, new_items=len(new))

    def _record(
        self,
        source: Source,
        *,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        now = self.clock()
        errors = source.error_count + 1 if error else 0
        self.repository.record_fetch(
            source.id,
            now,
            next_poll_at(source.poll_interval, now, errors),
            etag=etag,
            last_modified=last_modified,
            error=error,
        )

    def poll_many(self, sources: Sequence[Source]) -> list[PollOutcome]:
        """Poll sources concurrently; one failing source never stops the others."""
        if not sources:
            return []
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(sources))) as pool:
            return list(pool.map(self.poll, sources))

    # --- judge --------------------------------------------------------------------------

    def judge_pending(self) -> int:
        """Match every unjudged item against its watchlists' claims; returns alerts queued."""
        queued = 0
        with self._judging:
            while batch := self.repository.unjudged_items(JUDGE_BATCH):
                queued += self._judge(batch)
        return queued

    def _judge(self, items: list[Item]) -> int:
        claims_of = self.repository.claims_by_source({item.source_id for item in items})
        texts = {item.id: passages(item) for item in items}
        claim_by_id = {c.id: c for claims in claims_of.values() for c in claims}
        # Each distinct text is embedded once, whichever items or claims it appears in.
        distinct = list(
            dict.fromkeys(
                [p for group in texts.values() for p in group]
                + [p for claim in claim_by_id.values() for p in claim.spec.phrasings]
            )
        )
        vector_of = dict(zip(distinct, self.embedder.encode(distinct), strict=True))
        indexes = {
            source_id: ClaimIndex.build(claims, vector_of)
            for source_id, claims in claims_of.items()
        }
        evidence: list[Evidence] = []
        for item in items:
            group = texts[item.id]
            if not group:
                continue
            matrix = np.stack([vector_of[p] for p in group])
            for match in best_matches(item.id, group, matrix, indexes[item.source_id]):
                claim = claim_by_id[match.claim_id]
                verdict = self.stance.classify(claim, item, match)
                evidence.append(
                    Evidence(
                        claim_id=claim.id,
                        item_id=item.id,
                        score=match.score,
                        quote=verdict.quote,
                        stance=verdict.stance,
                        stance_confidence=round(verdict.confidence, 4),
                    )
                )
        return self.repository.record_judgement([i.id for i in items], evidence, self.clock())

    # --- deliver ------------------------------------------------------------------------

    def deliver(self) -> DeliveryReport:
        """Send what waits in the outbox."""
        with self._delivering:
            return deliver_pending(self.repository, self.sink, self.clock)

    def run_cycle(self, sources: Sequence[Source]) -> CycleReport:
        """Poll ``sources``, judge everything new, deliver alerts."""
        report = CycleReport(polled=self.poll_many(sources))
        report.evidence = self.judge_pending()
        report.delivery = self.deliver()
        return report
