"""Does a candidate bear on its claim? The decision that turns a match into evidence (pure).

Matching is recall-minded: every claim's closest passage at :data:`CANDIDATE_SIMILARITY` or
more (cosine, against the claim and its rewrites, :mod:`monitor.judge.aliases`) is a candidate.
The stance model then reads each candidate and says how likely the item bears on the claim at
all (``StanceResult.related``). :meth:`Relevance.score` combines that with the similarity and
the match's margin over the watchlist's other claims (an item much closer to another claim is
most likely about that one) into one score in [0, 1], a logistic calibrated on the desk set's
*tune* claims (``python -m bench desk --calibrate``); a candidate is evidence when its relevance
reaches the claim's threshold, which editors' feedback keeps moving
(``monitor.notify.feedback``).

The weights put the desk set's tuned operating point at the default threshold, 0.6: a claim's
``threshold`` (or a watchlist's) raises or lowers it from there.

A candidate that falls short of its threshold by no more than :data:`REVIEW_BAND` (the setting
``MONITOR_REVIEW_BAND``) is a **near miss** (:meth:`Relevance.near_miss`): not evidence and
never alerted, but kept for editors to confirm or dismiss, so that what the decision misses is a
click away rather than lost. The band was chosen on the development desk sets (the first set
and C; docs/stance-research.md, section 14).

A classifier that cannot tell relatedness (``MONITOR_STANCE_MODEL=none``, an NLI model) keeps
the older rule: the similarity alone must reach the threshold (:data:`SIMILARITY_ONLY`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CANDIDATE_SIMILARITY = 0.35
# How far under its claim's threshold a candidate's relevance may fall and still be shown to
# editors as a near miss (the default of ``MONITOR_REVIEW_BAND``): the widest band whose near
# misses under the cross-encoder's decision were at least one in four related on development
# desk sets (docs/stance-research.md, section 27; 0.3 until then).
REVIEW_BAND = 0.2


@dataclass(frozen=True)
class Relevance:
    """How similarity and relatedness make one relevance score."""

    candidate_similarity: float  # the lowest similarity that is looked at
    similarity_weight: float = 0.0
    related_weight: float = 0.0
    margin_weight: float = 0.0
    bias: float = 0.0
    uses_related: bool = True
    review_band: float = REVIEW_BAND  # how far under the threshold a near miss may fall

    def score(self, similarity: float, related: float, margin: float = 0.0) -> float:
        """The relevance of a candidate, in [0, 1]."""
        if not self.uses_related:
            return similarity
        z = (
            self.similarity_weight * similarity
            + self.related_weight * related
            + self.margin_weight * margin
            + self.bias
        )
        return 1.0 / (1.0 + math.exp(-z))

    def gate(self, threshold: float) -> float:
        """The similarity a passage needs to be a candidate for a claim of ``threshold``."""
        return threshold if not self.uses_related else min(threshold, self.candidate_similarity)

    def bears_on(
        self, similarity: float, related: float, threshold: float, margin: float = 0.0
    ) -> bool:
        """Whether a candidate is evidence for a claim whose threshold is ``threshold``."""
        relevance = self.score(similarity, related, margin)
        return similarity >= self.gate(threshold) and relevance >= threshold

    def near_miss(
        self, similarity: float, related: float, threshold: float, margin: float = 0.0
    ) -> bool:
        """Whether a candidate that is not evidence came within :attr:`review_band` of its
        claim's threshold. A decision by similarity alone has no near misses: its candidates
        are found at the threshold itself."""
        if not self.uses_related or self.review_band <= 0 or similarity < self.gate(threshold):
            return False
        relevance = self.score(similarity, related, margin)
        return threshold - self.review_band <= relevance < threshold

    def kept(
        self, similarity: float, related: float, threshold: float, margin: float = 0.0
    ) -> bool:
        """Whether a candidate is kept at all, as evidence or as a near miss: the candidates
        whose stance is worth reading (:func:`monitor.judge.reading.read_kept`)."""
        return self.bears_on(similarity, related, threshold, margin) or self.near_miss(
            similarity, related, threshold, margin
        )


SIMILARITY_ONLY = Relevance(candidate_similarity=0.0, uses_related=False)
# Fitted on the desk set's tune claims with the built-in stance model (python -m bench desk
# --calibrate; docs/benchmarks.md, "Desk set through the pipeline").
BUILTIN = Relevance(
    candidate_similarity=CANDIDATE_SIMILARITY,
    similarity_weight=2.524,
    related_weight=1.723,
    margin_weight=7.452,
    bias=-2.852,
)
# Fitted on desk set K's tune claims with the shipped cross-encoder's own relatedness, operating
# point "highest recall with precision >= 0.93" (scripts/research/relatedness_cross.py --fit;
# docs/stance-research.md, section 26).
CROSS = Relevance(
    candidate_similarity=CANDIDATE_SIMILARITY,
    similarity_weight=3.275,
    related_weight=3.085,
    margin_weight=7.349,
    bias=-3.832,
)
# Each stance model's relatedness has its own calibration (``MONITOR_STANCE_MODEL`` names it).
CALIBRATIONS = {"builtin": BUILTIN, "crossencoder": CROSS}
CALIBRATED = CROSS  # the default model's: the cross-encoder, with its own relatedness


def for_model(name: str) -> Relevance:
    """The decision for the stance model ``name``: its calibration, or the similarity alone for
    a model without one (it cannot tell relatedness, or was not calibrated)."""
    return CALIBRATIONS.get(name, SIMILARITY_ONLY)
