"""Match passages to claims by cosine similarity of their embeddings (pure numpy).

Each claim is compared in its own words, its paraphrases, and each of those rewritten with
other names for the countries it names (:mod:`monitor.judge.aliases`). What is found here is a
candidate; :mod:`monitor.judge.relevance` decides whether it is evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.judge.aliases import expand
from monitor.judge.embed import Vectors
from monitor.types import Claim, ClaimSpec, Match


def phrasings(spec: ClaimSpec) -> tuple[str, ...]:
    """Everything a claim is compared in: its phrasings, then their rewrites with other names
    (capitals, governments, leaders) for the countries they name."""
    own = spec.phrasings
    rewritten = [variant for phrasing in own for variant in expand(phrasing)]
    return tuple(dict.fromkeys([*own, *rewritten]))


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
            for phrasing in phrasings(claim.spec):
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
    gate: Callable[[Claim], float] | None = None,
) -> list[Match]:
    """For each claim, the item's passage closest to any of its phrasings, if its similarity
    reaches ``gate(claim)`` (the claim's threshold by default).

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
        if score >= (gate(claim) if gate else claim.threshold):
            closest = tuple(passages[int(i)] for i in order)
            matches.append(Match(claim.id, item_id, closest[0], round(score, 4), closest))
    return matches
