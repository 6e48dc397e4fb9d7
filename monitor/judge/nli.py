"""Stance from any sentence-transformers ``CrossEncoder`` trained for NLI.

The item's passages are the premises, the claim the hypothesis. Entailment means the item
supports the claim, contradiction that it contradicts it, neutral that it only mentions it. Labels
are read from the model's config (``id2label``), so models with any label order work.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from monitor.errors import ModelError
from monitor.judge.stance import StanceQuery
from monitor.types import Stance, StanceResult


def stance_of_label(label: str) -> Stance:
    """Map an NLI label name to a stance."""
    name = label.lower()
    if name.startswith("entail"):
        return Stance.SUPPORTS
    if name.startswith("contradict"):
        return Stance.CONTRADICTS
    if name.startswith("neutral"):
        return Stance.MENTIONS
    raise ModelError(f"NLI label {label!r} is not entailment, contradiction or neutral")


class NliStance:
    """Stance from an NLI cross-encoder, loaded lazily and offline."""

    def __init__(
        self,
        name_or_path: str,
        device: str = "cpu",
        *,
        passages_per_item: int = 3,
        min_confidence: float = 0.5,
        batch_size: int = 16,
    ) -> None:
        self.name_or_path = name_or_path
        self.device = device
        self.passages_per_item = passages_per_item
        self.min_confidence = min_confidence
        self.batch_size = batch_size
        self._model: Any = None
        self._stances: list[Stance] = []
        self._lock = threading.Lock()

    def load(self) -> str:
        """Load the model now if it is not loaded yet; what was loaded, for the log."""
        with self._lock:
            self._load()
        return f"NLI model {self.name_or_path}"

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import CrossEncoder

            try:
                model = CrossEncoder(self.name_or_path, device=self.device, local_files_only=True)
            except (OSError, ValueError) as err:
                raise ModelError(
                    f"cannot load NLI model {self.name_or_path!r}: {err}. Give a local path or a "
                    "model already in the local cache; monitor never downloads models."
                ) from err
            id2label = model.model.config.id2label
            self._stances = [stance_of_label(id2label[i]) for i in range(len(id2label))]
            self._model = model
        return self._model

    def classify(self, queries: Sequence[StanceQuery]) -> list[StanceResult]:
        pairs = [(p, q.claim) for q in queries for p in q.passages[: self.passages_per_item]]
        if not pairs:
            return [StanceResult(Stance.MENTIONS, 0.0, q.title) for q in queries]
        with self._lock:
            model = self._load()
            probabilities = np.asarray(
                model.predict(
                    pairs, batch_size=self.batch_size, apply_softmax=True, show_progress_bar=False
                )
            )
        results, row = [], 0
        for query in queries:
            count = min(len(query.passages), self.passages_per_item)
            results.append(self._decide(query, probabilities[row : row + count]))
            row += count
        return results

    def _decide(self, query: StanceQuery, probabilities: np.ndarray) -> StanceResult:
        """The strongest supporting or contradicting passage, else a mention."""
        best: StanceResult | None = None
        for passage, row in zip(query.passages, probabilities, strict=False):
            for index, stance in enumerate(self._stances):
                confidence = float(row[index])
                if stance is Stance.MENTIONS or confidence < self.min_confidence:
                    continue
                if best is None or confidence > best.confidence:
                    best = StanceResult(stance, confidence, passage)
        if best is not None:
            return best
        if not query.passages:
            return StanceResult(Stance.MENTIONS, 0.0, query.title)
        neutral = [i for i, s in enumerate(self._stances) if s is Stance.MENTIONS]
        confidence = float(probabilities[0][neutral[0]]) if neutral else 0.0
        return StanceResult(Stance.MENTIONS, confidence, query.passages[0])
