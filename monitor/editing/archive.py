"""The archive of judged passages, searched for a claim: what a claim would match (a preview)
and, once it is saved, recording those matches as evidence without alerts (a backfill: old news
is not news)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from monitor.judge.embed import Embedder
from monitor.judge.match import lone_margin, phrasings
from monitor.judge.passages import passages
from monitor.judge.reading import Candidate, Reading, read_kept
from monitor.judge.relevance import SIMILARITY_ONLY, Relevance
from monitor.judge.stance import StanceClassifier
from monitor.store import Repository
from monitor.store.vectors import PassageMatch
from monitor.types import Claim, ClaimSpec, Item

log = logging.getLogger(__name__)
PREVIEW_SIZE = 20
BACKFILL_SIZE = 200


@dataclass(frozen=True)
class PreviewMatch:
    """An archived item a claim would match, with its closest passage."""

    item: Item
    source_name: str
    score: float
    passage: str


class ClaimArchive:
    """Searches the archive for a claim's phrasings among its watchlist's sources."""

    def __init__(
        self,
        repository: Repository,
        embedder: Embedder,
        stance: StanceClassifier,
        clock: Callable[[], datetime],
        *,
        relevance: Relevance = SIMILARITY_ONLY,
    ) -> None:
        self.repository = repository
        self.embedder = embedder
        self.stance = stance
        self.clock = clock
        self.relevance = relevance  # the pipeline's decision: previews and backfills agree

    def preview(
        self, watchlist_key: str, spec: ClaimSpec, threshold: float, limit: int = PREVIEW_SIZE
    ) -> list[PreviewMatch]:
        """What ``spec`` would match (reaching ``threshold``) among the archived items of the
        watchlist's sources, with each item's outlet."""
        found = [m for m, _ in self._evidence(watchlist_key, spec, threshold, limit)]
        names: dict[int, str] = {}
        matches = []
        for match in found:
            item = self.repository.item(match.item_id)
            if item.source_id not in names:
                source = self.repository.find_source(item.source_id)
                names[item.source_id] = source.name if source else ""
            matches.append(PreviewMatch(item, names[item.source_id], match.score, match.passage))
        return matches

    def backfill(self, claim: Claim) -> int:
        """Record what the claim matches in the archive as evidence, without alerts."""
        found = self._evidence(claim.watchlist_key, claim.spec, claim.threshold, BACKFILL_SIZE)
        evidence = [
            read.evidence(
                claim.id,
                match.item_id,
                match.score,
                keep_related=self.relevance.uses_related,
                alert=False,
            )
            for match, read in found
        ]
        if not evidence:
            return 0
        recorded = self.repository.backfill_evidence(evidence, self.clock())
        log.info("claim %s: %d archived items recorded as evidence", claim.key, recorded)
        return recorded

    def _evidence(
        self, watchlist_key: str, spec: ClaimSpec, threshold: float, limit: int
    ) -> list[tuple[PassageMatch, Reading]]:
        """The archived items that would be evidence for the claim: candidates from the archive
        search, read and decided as the pipeline does (the claim alone: no rival claims)."""
        found = self._search(watchlist_key, spec, self.relevance.gate(threshold), limit)
        items = [self.repository.item(match.item_id) for match in found]
        candidates = [
            Candidate(spec.text, item.title, item.text, tuple(passages(item)), match.passages)
            for match, item in zip(found, items, strict=True)
        ]

        def bears_on(n: int, related: float) -> bool:
            score = found[n].score
            return self.relevance.bears_on(score, related, threshold, lone_margin(score))

        readings = read_kept(self.stance, candidates, bears_on)
        return [
            (match, read)
            for n, (match, read) in enumerate(zip(found, readings, strict=True))
            if read is not None and bears_on(n, read.related)
        ]

    def _search(
        self, watchlist_key: str, spec: ClaimSpec, threshold: float, limit: int
    ) -> list[PassageMatch]:
        vectors = self.embedder.encode(list(phrasings(spec)))
        sources = self.repository.watchlist_source_ids(watchlist_key)
        return self.repository.vectors.search(
            self.embedder.model_key, vectors, limit, threshold, source_ids=sources
        )
