"""Stance: does an item support, contradict or only mention a claim?

The pipeline hands a classifier one :class:`StanceQuery` per (claim, item) match: the claim and
the item's passages closest to it. The classifier answers with a
:class:`~monitor.types.StanceResult`: the stance, its confidence, the passage that carries it
(the quote shown to editors) and ``related``, its probability that the item bears on the claim
at all (1.0 from classifiers that cannot tell).

Classifiers:

- :class:`MentionsOnly`: every match is a mention (no stance model).
- :class:`monitor.judge.nli.NliStance`: any sentence-transformers ``CrossEncoder`` NLI model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from monitor.types import Stance, StanceResult


@dataclass(frozen=True)
class StanceQuery:
    """A claim and the passages of one item that are closest to it (closest first)."""

    claim: str
    passages: tuple[str, ...]
    title: str = ""
    body: str = ""


class StanceClassifier(Protocol):
    """Decides the stance of each query's item towards its claim."""

    def classify(self, queries: Sequence[StanceQuery]) -> list[StanceResult]: ...


@runtime_checkable
class LoadsModel(Protocol):
    """A classifier with a model to load, on first use unless asked before: the processes that
    judge load it at start (``Service.load_stance``), so that their first judging run does not
    wait for it and a model that cannot be loaded stops the start instead."""

    def load(self) -> str:
        """Load the model now if it is not loaded yet (a ModelError if it cannot be); what
        was loaded, for the log."""
        ...


@runtime_checkable
class SeparateRelatedness(Protocol):
    """A classifier that can take whether an item is related from a cheaper model than the
    one that reads its stance (the cross-encoder with the built-in model's relatedness). The
    pipeline asks for the relatedness first and reads the stance only of the candidates that
    can become evidence or near misses (:func:`monitor.judge.reading.read_kept`)."""

    def related(self, queries: Sequence[StanceQuery]) -> list[float] | None:
        """Each query's relatedness, or None when this classifier has no separate model."""
        ...

    def classify(
        self, queries: Sequence[StanceQuery], related: Sequence[float] | None = None
    ) -> list[StanceResult]:
        """As :meth:`StanceClassifier.classify`; ``related``: the queries' relatedness, as
        :meth:`related` gave it, so that it is not asked again."""
        ...


class MentionsOnly:
    """Reports every match as a mention, quoting the closest passage."""

    def classify(self, queries: Sequence[StanceQuery]) -> list[StanceResult]:
        return [
            StanceResult(Stance.MENTIONS, 1.0, q.passages[0] if q.passages else q.title)
            for q in queries
        ]
