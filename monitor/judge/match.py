"""Match passages to claims by cosine similarity of their embeddings (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.judge.embed import Vectors
from monitor.types import Claim, Match


@dataclass(frozen=True)
class ClaimIndex:
    """Every phrasing of a set of claims, embedded, with the claim each row belongs to."""

    claims: tuple[Claim, ...]
    vectors: Vectors
    owner: np.ndarray  # row -> index into claims

    @classmethod
    def build(cls, claims: Sequence[Claim], vectors_of: dict[str, np.ndarray]) -> ClaimIndex:
        rows, owner = [], []
        for index, claim in enumerate(claims):
            for phrasing in claim.spec.phrasings:
                rows.append(vectors_of[phrasing])
                owner.append(index)
        dim = len(rows[0]) if rows else 0
        matrix = np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
        return cls(tuple(claims), matrix, np.asarray(owner, dtype=np.int64))


def best_matches(
    item_id: int,
    passages: Sequence[str],
    passage_vectors: Vectors,
    index: ClaimIndex,
    context: int = 5,
) -> list[Match]:
    """For each claim, the item's passage closest to any of its phrasings, if above threshold.

    Each match also carries the ``context`` passages closest to the claim, closest first.
    """
    if not passages or not index.claims:
        return []
    similarity = passage_vectors @ index.vectors.T  # passages x phrasings
    matches = []
    for claim_index, claim in enumerate(index.claims):
        columns = similarity[:, index.owner == claim_index]
        if columns.size == 0:
            continue
        per_passage = columns.max(axis=1)
        order = np.argsort(-per_passage, kind="stable")[:context]
        score = float(per_passage[order[0]])
        if score >= claim.threshold:
            closest = tuple(passages[int(i)] for i in order)
            matches.append(Match(claim.id, item_id, closest[0], round(score, 4), closest))
    return matches
