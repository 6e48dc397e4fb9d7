"""The built-in stance model: small, CPU-only, shipped inside the package.

Two stages over features from :mod:`monitor.judge.features`:

1. **related?** a logistic regression on relatedness and word-overlap features (cheap;
   unrelated pairs stop here);
2. **stance** an ensemble of one-hidden-layer MLPs over relatedness, stance cues (also in
   context: near the claim's own words, prototypes of refuting / hedging sentences) and claim x
   closest-sentence embedding interactions: agree / disagree / discuss (supports / contradicts
   / mentions).

Weights live in ``models/stance-v2.npz`` (plain arrays, no pickle: the two stages, the IDF table
and the cue prototypes) with a SHA-256 checksum in ``models/stance-v2.json``;
``monitor stance train`` reproduces them. Inference needs only numpy and the embedding model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from monitor.errors import ModelError
from monitor.judge import features as F
from monitor.judge.embed import INT8_KEY_SUFFIX, Embedder
from monitor.judge.fnc import TO_STANCE, Progress
from monitor.judge.passages import body_passages
from monitor.judge.stance import StanceQuery
from monitor.types import Stance, StanceResult

MODEL_DIR = Path(__file__).parent / "models"
MODEL_FILE = MODEL_DIR / "stance-v2.npz"
MANIFEST_FILE = MODEL_DIR / "stance-v2.json"
MAX_SENTENCES = 40
RELATED_THRESHOLD = 0.5
_ARRAYS = (
    "a_mean",
    "a_scale",
    "a_coef",
    "a_intercept",
    "b_mean",
    "b_scale",
    "b_w0",
    "b_b0",
    "b_w1",
    "b_b1",
    "b_classes",
    "prototypes",
    "idf_words",
    "idf_values",
    "idf_unseen",
)


@dataclass(frozen=True)
class FeatureSpace:
    """What the features need besides the texts: word rarity and the cue prototypes."""

    idf: F.Idf
    prototypes: F.Array  # refute, hedge, confirm: mean embeddings of F.PROTOTYPES

    @classmethod
    def fit(cls, texts: Sequence[str], embedder: Embedder) -> FeatureSpace:
        """IDF from the training texts; prototypes embedded with the pipeline's model."""
        means = [embedder.encode(list(group)).mean(axis=0) for group in F.prototype_texts()]
        prototypes = np.stack(means)
        prototypes /= np.maximum(np.linalg.norm(prototypes, axis=1, keepdims=True), 1e-12)
        return cls(F.Idf.fit(texts), prototypes.astype(np.float32))

    def related(self, claim: str, vector: F.Array, article: F.Article) -> F.Array:
        """Stage 1 input: relatedness, word overlap weighted by rarity, cues near the claim."""
        return np.concatenate(
            [
                F.relatedness(claim, vector, article),
                F.cues(claim, vector, article)[:6],
                F.overlap(claim, vector, article, self.idf),
            ]
        )

    def stance(self, claim: str, vector: F.Array, article: F.Article) -> F.Array:
        """Stage 2 input: relatedness, cues, cues in context and the embedding interactions."""
        return np.concatenate(
            [
                F.relatedness(claim, vector, article),
                F.cues(claim, vector, article),
                F.interaction(vector, article),
                F.context_cues(claim, vector, article, self.prototypes),
                F.overlap(claim, vector, article, self.idf),
            ]
        )

    def arrays(self) -> dict[str, np.ndarray]:
        words = sorted(self.idf.weights)
        return {
            "prototypes": self.prototypes,
            "idf_words": np.array(words, dtype=str),
            "idf_values": np.array([self.idf.weights[w] for w in words], dtype=np.float64),
            "idf_unseen": np.array(self.idf.unseen),
        }


@dataclass(frozen=True)
class StanceWeights:
    """The two stages' parameters and the feature space, as plain arrays.

    Stage 2 is an ensemble: ``b_w0`` etc. carry a leading axis, one entry per MLP, whose
    class probabilities are averaged.
    """

    arrays: dict[str, np.ndarray]
    embedding_model: str

    @classmethod
    def load(cls, path: Path = MODEL_FILE, manifest: Path = MANIFEST_FILE) -> StanceWeights:
        """Load weights after checking their SHA-256 against the manifest."""
        try:
            data = path.read_bytes()
            recorded = json.loads(manifest.read_text())
            expected, embedding_model = recorded["sha256"], recorded["embedding_model"]
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"stance model not readable at {path}: {err}") from err
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            raise ModelError(f"{path}: checksum {actual} does not match {manifest} ({expected})")
        with np.load(path, allow_pickle=False) as npz:
            missing = [name for name in _ARRAYS if name not in npz.files]
            if missing:
                raise ModelError(f"{path}: no {', '.join(missing)}; retrain (monitor stance train)")
            return cls({name: npz[name] for name in _ARRAYS}, embedding_model)

    def save(self, path: Path) -> str:
        """Write the weights; returns their SHA-256."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            np.savez_compressed(out, **self.arrays)  # type: ignore[arg-type]
        return hashlib.sha256(path.read_bytes()).hexdigest()

    @cached_property
    def space(self) -> FeatureSpace:
        a = self.arrays
        words = (str(w) for w in a["idf_words"])
        idf = dict(zip(words, a["idf_values"].tolist(), strict=True))
        return FeatureSpace(F.Idf(idf, float(a["idf_unseen"])), a["prototypes"])

    def related(self, x: np.ndarray) -> np.ndarray:
        a = self.arrays
        z = ((x - a["a_mean"]) / a["a_scale"]) @ a["a_coef"] + a["a_intercept"]
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def stance(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (mean over the ensemble), columns in the order of ``classes``."""
        a = self.arrays
        scaled = (x - a["b_mean"]) / a["b_scale"]
        total = np.zeros((len(x), len(a["b_classes"])))
        for w0, b0, w1, b1 in zip(a["b_w0"], a["b_b0"], a["b_w1"], a["b_b1"], strict=True):
            logits = np.maximum(scaled @ w0 + b0, 0.0) @ w1 + b1
            logits -= logits.max(axis=1, keepdims=True)
            exp = np.exp(logits)
            total += exp / exp.sum(axis=1, keepdims=True)
        return np.asarray(total / len(a["b_w0"]))

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.arrays["b_classes"]]


class BuiltinStance:
    """Stance from the shipped model; reuses the embedder (and its cache) of the pipeline."""

    def __init__(self, embedder: Embedder, weights: StanceWeights | None = None) -> None:
        self.embedder = embedder
        self._weights = weights

    @property
    def weights(self) -> StanceWeights:
        if self._weights is None:
            weights = StanceWeights.load()
            # int8 ONNX embeddings of the same model keep the stance scores (docs/benchmarks.md,
            # "Embedding backends": 0.882 relative, 0.755 macro-F1, 0.533 disagree F1).
            readable = {weights.embedding_model, weights.embedding_model + INT8_KEY_SUFFIX}
            if self.embedder.model_key not in readable:
                raise ModelError(
                    f"the built-in stance model reads {weights.embedding_model} embeddings, not "
                    f"{self.embedder.model_key}: retrain it (monitor stance train), or set "
                    "MONITOR_STANCE_MODEL to none or to an NLI cross-encoder"
                )
            self._weights = weights
        return self._weights

    def load(self) -> str:
        """Load the weights now if they are not loaded yet; what was loaded, for the log."""
        _ = self.weights
        return "built-in model"

    def article(self, text: str) -> F.Article:
        return self.articles({"": text})[""]

    def articles(
        self,
        texts: dict[str, str],
        progress: Callable[[Iterable[int]], Iterable[int]] = iter,
        chunk: int = 1024,
    ) -> dict[str, F.Article]:
        """Articles keyed like ``texts``; all their sentences embedded together.

        Sentences are embedded in length order in large chunks, so batches pad little.
        """
        split = {key: body_passages(text, MAX_SENTENCES) for key, text in texts.items()}
        # A total order (length, then text): the same batches, so the same vectors, every run.
        distinct = sorted(
            {s for sentences in split.values() for s in sentences}, key=lambda s: (len(s), s)
        )
        vector_of: dict[str, np.ndarray] = {}
        for start in progress(range(0, len(distinct), chunk)):
            part = distinct[start : start + chunk]
            vector_of.update(zip(part, self.embedder.encode(part), strict=True))
        empty = np.zeros((0, 1), np.float32)
        return {
            key: F.Article.build(s, np.stack([vector_of[x] for x in s]) if s else empty)
            for key, s in split.items()
        }

    def labels(
        self, claims: Sequence[str], articles: Sequence[F.Article]
    ) -> list[tuple[str, float]]:
        """FNC-1 label and its probability for each (claim, article)."""
        return [(label, confidence) for label, confidence, _ in self.scored(claims, articles)]

    def scored(
        self, claims: Sequence[str], articles: Sequence[F.Article]
    ) -> list[tuple[str, float, float]]:
        """FNC-1 label, its probability and the probability of being related at all."""
        vectors = self.embedder.encode(list(claims))
        space = self.weights.space
        stage1 = np.stack(
            [space.related(c, v, a) for c, v, a in zip(claims, vectors, articles, strict=True)]
        )
        related = [float(p) for p in self.weights.related(stage1)]
        out = [("unrelated", 1 - p, p) for p in related]
        keep = [
            i for i, p in enumerate(related) if p >= RELATED_THRESHOLD and articles[i].sentences
        ]
        if keep:
            stage2 = np.stack([space.stance(claims[i], vectors[i], articles[i]) for i in keep])
            probabilities = self.weights.stance(stage2)
            classes = self.weights.classes
            for row, i in enumerate(keep):
                best = int(probabilities[row].argmax())
                out[i] = (classes[best], float(probabilities[row, best]), related[i])
        return out

    def classify(self, queries: Sequence[StanceQuery]) -> list[StanceResult]:
        articles = [self.article(q.body or " ".join(q.passages)) for q in queries]
        scored = self.scored([q.claim for q in queries], articles)
        return [
            replace(_result(query, label, confidence), related=related)
            for query, (label, confidence, related) in zip(queries, scored, strict=True)
        ]

    def predict_fnc(
        self, pairs: Sequence[tuple[str, str]], bodies: dict[str, str], progress: Progress = iter
    ) -> list[str]:
        """FNC-1 labels for (headline, body id) pairs; each body is embedded once."""
        articles = self.articles({b: bodies[b] for b in {b for _, b in pairs}}, progress)
        labels = self.labels([h for h, _ in pairs], [articles[b] for _, b in pairs])
        return [label for label, _ in labels]


def _result(query: StanceQuery, label: str, confidence: float) -> StanceResult:
    """The stance (a match the model finds unrelated is still a mention) and its quote.

    An explicit denial in one of the two passages closest to the claim (a claim that is not
    itself negative) makes the item a contradiction whatever the model said: for a desk, "the
    ministry denied sending drones" contradicts "Iran supplies drones". FNC-1 labels many such
    reports "discuss", so this rule lives here, in the pipeline's path, and not in
    ``monitor stance predict``.
    """
    stance = TO_STANCE[label]
    found = denial(query)
    if found is not None:
        return StanceResult(Stance.CONTRADICTS, confidence, found)
    if stance is Stance.UNRELATED:
        return StanceResult(Stance.MENTIONS, 0.0, _first(query))
    if stance is Stance.CONTRADICTS:
        for passage in query.passages:
            if set(F.words(passage)) & (F.REFUTE | F.NEGATION):
                return StanceResult(stance, confidence, passage)
    return StanceResult(stance, confidence, _first(query))


_DENIAL = re.compile(
    r"\b(den(?:y|ies|ied|ying)|reject(?:s|ed)?|refut(?:e|es|ed)|baseless|groundless|unfounded|"
    r"(?:has|have|had|did|does|do|is|was|were) not|(?:has|have|had|did|does|do|is|was|were)n't|"
    r"never|no evidence|not true|untrue|false|fabricat\w+)\b",
    re.IGNORECASE,
)


def denial(query: StanceQuery) -> str | None:
    """The closest passage that denies the claim, if one of the two closest does."""
    if _DENIAL.search(query.claim):
        return None
    return next((p for p in query.passages[:2] if _DENIAL.search(p)), None)


def _first(query: StanceQuery) -> str:
    return query.passages[0] if query.passages else query.title
