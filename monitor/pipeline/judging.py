"""Judging: stored items matched against the claims of the watchlists that read their sources,
stance read, evidence recorded with its alerts (decided by :mod:`monitor.alerting`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from monitor.alerting import like_rejected
from monitor.errors import StorageError
from monitor.judge import reading
from monitor.judge.match import ClaimIndex, best_matches, phrasings
from monitor.judge.passages import passages
from monitor.metrics import (
    EVIDENCE,
    ITEMS_JUDGED,
    timed,
)
from monitor.pipeline.base import PipelineBase
from monitor.types import (
    Claim,
    Evidence,
    Item,
    Match,
    NearMiss,
)

log = logging.getLogger(__name__)

JUDGE_BATCH = 256


class JudgingMixin(PipelineBase):
    """Items in, evidence and queued alerts out."""

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
        matches = [m for m, e in zip(matches, read, strict=True) if isinstance(e, Evidence)]
        evidence = [e for e in read if isinstance(e, Evidence)]
        near_misses = [e for e in read if isinstance(e, NearMiss)]
        evidence = self._without_rejected(evidence, matches, vector_of)
        with timed("record"):
            queued = self.repository.record_judgement(
                [i.id for i in items], evidence, self.clock(), near_misses=near_misses
            )
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
    ) -> list[Evidence | NearMiss | None]:
        """Read each candidate as a desk would (:mod:`monitor.judge.reading`): the stance model
        on the item, and on its news alone where a denial stands outside it; then the relevance
        decision. A near miss for a candidate just under its claim's bar, None for the rest (a
        cross-encoder reads no stance for those: :func:`monitor.judge.reading.read_kept`)."""
        candidates = [
            reading.Candidate(
                claim_by_id[m.claim_id].text,
                i.title,
                i.text,
                tuple(texts[i.id]),
                m.context or (m.passage,),
            )
            for i, m in matches
        ]

        def kept(n: int, related: float) -> bool:
            match = matches[n][1]
            threshold = claim_by_id[match.claim_id].threshold
            return self.relevance.kept(match.score, related, threshold, match.margin)

        readings = reading.read_kept(self.stance, candidates, kept)
        return [
            self._evidence(claim_by_id[match.claim_id], item, match, read)
            if read is not None
            else None
            for (item, match), read in zip(matches, readings, strict=True)
        ]

    def _evidence(
        self, claim: Claim, item: Item, match: Match, read: reading.Reading
    ) -> Evidence | NearMiss | None:
        decision, threshold = self.relevance, claim.threshold
        keep = decision.uses_related
        found = read.evidence(match.claim_id, item.id, match.score, keep_related=keep)
        if decision.bears_on(match.score, read.related, threshold, match.margin):
            return found
        if decision.near_miss(match.score, read.related, threshold, match.margin):
            relevance = decision.score(match.score, read.related, match.margin)
            return NearMiss(replace(found, alert=False), round(relevance, 4))
        return None
