"""Stance: does an item support, contradict or only mention a claim?

:class:`StanceClassifier` is the interface the pipeline uses. :class:`MentionsOnly` is the
baseline until a trained stance model is configured: every match is reported as a mention,
with the matching passage as the quote.
"""

from __future__ import annotations

from typing import Protocol

from monitor.types import Claim, Item, Match, Stance, StanceResult


class StanceClassifier(Protocol):
    """Decides the stance of ``item`` towards ``claim``, given the passage that matched it."""

    def classify(self, claim: Claim, item: Item, match: Match) -> StanceResult: ...


class MentionsOnly:
    """Reports every match as a mention (no stance model)."""

    def classify(self, claim: Claim, item: Item, match: Match) -> StanceResult:
        return StanceResult(Stance.MENTIONS, match.score, match.passage)
