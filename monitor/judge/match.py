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

RIVAL_FLOOR = 0.35  # a claim nobody rivals is this much ahead of "no other claim"
MAX_MARGIN = 0.2


def lone_margin(score: float) -> float:
    """The margin of a claim matched alone (an archive search): over :data:`RIVAL_FLOOR`."""
    return round(min(MAX_MARGIN, max(-MAX_MARGIN, score - RIVAL_FLOOR)), 4)


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
    rival_floor: float = RIVAL_FLOOR,
) -> list[Match]:
    """For each claim, the item's passage closest to any of its phrasings, if its similarity
    reaches ``gate(claim)`` (the claim's threshold by default).

    Each match also carries the ``context`` passages closest to the claim, closest first, and
    its ``margin``: how much closer the item is to this claim than to the closest other claim
    of the index (or than ``rival_floor`` when no other claim comes that close), within
    +-:data:`MAX_MARGIN`. An item much closer to another claim is most likely about that one.
    """
    if not passages or not index.claims:
        return []
    similarity = passage_vectors @ index.vectors.T  # passages x phrasings
    per_claim = []
    for claim_index in range(len(index.claims)):
        columns = similarity[:, index.owner == claim_index]
        per_claim.append(columns.max(axis=1) if columns.size else None)
    best = [float(p.max()) if p is not None else -1.0 for p in per_claim]
    matches = []
    for claim_index, claim in enumerate(index.claims):
        per_passage = per_claim[claim_index]
        if per_passage is None:
            continue
        order = np.argsort(-per_passage, kind="stable")[:context]
        score = float(per_passage[order[0]])
        if score >= (gate(claim) if gate else claim.threshold):
            rival = max([rival_floor, *best[:claim_index], *best[claim_index + 1 :]])
            margin = round(min(MAX_MARGIN, max(-MAX_MARGIN, score - rival)), 4)
            closest = tuple(passages[int(i)] for i in order)
            matches.append(Match(claim.id, item_id, closest[0], round(score, 4), closest, margin))
    return matches
