"""The archive of judged passages, searched for a claim: what a claim would match (a preview)
and, once it is saved, recording those matches as evidence without alerts (a backfill: old news
is not news)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from monitor.judge.embed import Embedder
from monitor.judge.stance import StanceClassifier, StanceQuery
from monitor.store import Repository
from monitor.store.vectors import PassageMatch
from monitor.types import Claim, ClaimSpec, Evidence, Item

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
    ) -> None:
        self.repository = repository
        self.embedder = embedder
        self.stance = stance
        self.clock = clock

    def preview(
        self, watchlist_key: str, spec: ClaimSpec, threshold: float, limit: int = PREVIEW_SIZE
    ) -> list[PreviewMatch]:
        """What ``spec`` would match (scoring ``threshold`` or more) among the archived items
        of the watchlist's sources, with each item's outlet."""
        found = self._search(watchlist_key, spec, threshold, limit)
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
        found = self._search(claim.watchlist_key, claim.spec, claim.threshold, BACKFILL_SIZE)
        if not found:
            return 0
        items = [self.repository.item(match.item_id) for match in found]
        queries = [
            StanceQuery(claim.text, match.passages, item.title, item.text)
            for match, item in zip(found, items, strict=True)
        ]
        verdicts = self.stance.classify(queries)
        evidence = [
            Evidence(
                claim_id=claim.id,
                item_id=match.item_id,
                score=match.score,
                quote=verdict.quote,
                stance=verdict.stance,
                stance_confidence=round(verdict.confidence, 4),
                alert=False,
            )
            for match, verdict in zip(found, verdicts, strict=True)
        ]
        recorded = self.repository.backfill_evidence(evidence, self.clock())
        log.info("claim %s: %d archived items recorded as evidence", claim.key, recorded)
        return recorded

    def _search(
        self, watchlist_key: str, spec: ClaimSpec, threshold: float, limit: int
    ) -> list[PassageMatch]:
        vectors = self.embedder.encode(list(spec.phrasings))
        sources = self.repository.watchlist_source_ids(watchlist_key)
        return self.repository.vectors.search(
            self.embedder.model_key, vectors, limit, threshold, source_ids=sources
        )
