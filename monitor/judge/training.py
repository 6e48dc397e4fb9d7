"""Train the built-in stance model on FNC-1 (``monitor stance train``); needs scikit-learn.

Deterministic: the split (by Body ID), the oversampling and all models are seeded, and the
embeddings come from the same model on the CPU, so the same data gives the same weights.

The settings below were chosen by 5-fold cross-validation grouped by Body ID inside the
training bodies (never on the dev split); ``docs/stance-research.md`` has the numbers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.judge import augment
from monitor.judge.builtin import (
    MANIFEST_FILE,
    MODEL_FILE,
    BuiltinStance,
    FeatureSpace,
    StanceWeights,
)
from monitor.judge.embed import Embedder
from monitor.judge.features import Article
from monitor.judge.fnc import Pair, Scores, read_bodies, read_pairs, score
from monitor.judge.splits import claim_components, split_bodies, split_by_claim

SEED = 13
# Synthetic items per training claim (monitor/judge/augment.py: attributed denials, hedges and
# assertions of the claim's other wordings among its bodies' background sentences). The shipped
# model has none: with 40 it read the desk set's tune claims no better and its contradictions
# less precisely (docs/stance-research.md, section 10); `--synthetic N` trains so.
SYNTHETIC_PER_CLAIM = 0
SYNTHETIC = "synthetic-"  # body IDs of synthetic items
DISAGREE_OVERSAMPLING = 3
HIDDEN = 128
ALPHA = 1e-2
ENSEMBLE_SEEDS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class TrainingReport:
    dev: Scores
    train_pairs: int
    dev_pairs: int
    sha256: str
    synthetic_pairs: int = 0


def train(
    data: Path,
    embedder: Embedder,
    out: Path = MODEL_FILE,
    manifest: Path = MANIFEST_FILE,
    progress: Callable[[Iterable[int]], Iterable[int]] = iter,
    split: str = "body",
    synthetic_per_claim: int = SYNTHETIC_PER_CLAIM,
) -> TrainingReport:
    """Train on FNC-1's ``train_*.csv`` in ``data``, write the weights and report on the
    held-out pairs: ``split="body"`` (the shipped model) holds out a fifth of the bodies;
    ``split="claim"`` trains on the claim split's train and validation parts and reports on
    its report part, claims the model never saw (:func:`monitor.judge.splits.split_by_claim`)."""
    started = time.perf_counter()
    pairs = read_pairs(data / "train_stances.csv")
    bodies = read_bodies(data / "train_bodies.csv")
    labelled = [p for p in pairs if p.label is not None]
    training, held_out = _parts(labelled, bodies, split)
    made, made_bodies = synthetic(training, bodies, synthetic_per_claim)
    articles = BuiltinStance(embedder).articles({**bodies, **made_bodies}, progress)
    headlines, vectors = _unique_headlines(labelled, embedder)
    vector_of = dict(zip(headlines, vectors, strict=True))
    train_ids = {p.body_id for p in training}
    space = FeatureSpace.fit(
        [bodies[b] for b in sorted(train_ids)] + sorted({p.headline for p in training}), embedder
    )
    arrays = {
        **_stage1(space, [*training, *made], vector_of, articles),
        **_stage2(space, [*training, *made], vector_of, articles),
        **space.arrays(),
    }
    weights = StanceWeights(arrays, embedder.model_key)
    sha = weights.save(out)
    dev_pairs = held_out
    predicted = BuiltinStance(embedder, weights).labels(
        [p.headline for p in dev_pairs], [articles[p.body_id] for p in dev_pairs]
    )
    dev = score([str(p.label) for p in dev_pairs], [label for label, _ in predicted])
    seconds = time.perf_counter() - started
    _write_manifest(manifest, out, data, embedder.model_key, sha, dev, seconds, len(made))
    return TrainingReport(dev, len(training), len(dev_pairs), sha, len(made))


def synthetic(
    training: Sequence[Pair], bodies: dict[str, str], per_claim: int
) -> tuple[list[Pair], dict[str, str]]:
    """Synthetic pairs of the training claims (seeded) and their bodies, keyed ``SYNTHETIC<n>``.

    Each item's claim is one of the claim's own headlines; so a model learns how a denial, a
    hedge or an assertion on the record is written around a claim, not which claims were denied.
    """
    if not per_claim:
        return [], {}
    rng = np.random.RandomState(SEED)
    made = augment.for_pairs(training, bodies, claim_components(training), rng, per_claim)
    texts = {f"{SYNTHETIC}{i}": " ".join(m.sentences) for i, m in enumerate(made)}
    pairs = [Pair(m.claim, f"{SYNTHETIC}{i}", m.label) for i, m in enumerate(made)]
    return pairs, texts


def _parts(
    labelled: Sequence[Pair], bodies: dict[str, str], split: str
) -> tuple[list[Pair], list[Pair]]:
    """The pairs trained on and the pairs held out, split by body or by claim."""
    if split == "claim":
        parts = split_by_claim(labelled)
        return parts.train + parts.validation, parts.report
    if split != "body":
        raise ValueError(f"split by body or claim, not {split!r}")
    train_ids, dev_ids = split_bodies(bodies)
    return (
        [p for p in labelled if p.body_id in train_ids],
        [p for p in labelled if p.body_id in dev_ids],
    )


def _stage1(
    space: FeatureSpace,
    pairs: Sequence[Pair],
    vector_of: dict[str, np.ndarray],
    articles: dict[str, Article],
) -> dict[str, np.ndarray]:
    """Related or not: a logistic regression on every training pair."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.stack(
        [space.related(p.headline, vector_of[p.headline], articles[p.body_id]) for p in pairs]
    )
    related = np.array([p.label != "unrelated" for p in pairs])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=SEED)
    model.fit(scaler.transform(x), related)
    return {
        "a_mean": scaler.mean_,
        "a_scale": scaler.scale_,
        "a_coef": model.coef_[0],
        "a_intercept": model.intercept_,
    }


def _stage2(
    space: FeatureSpace,
    pairs: Sequence[Pair],
    vector_of: dict[str, np.ndarray],
    articles: dict[str, Article],
) -> dict[str, np.ndarray]:
    """Agree / disagree / discuss: an ensemble of MLPs on the related training pairs.

    Each MLP sees the disagree pairs ``DISAGREE_OVERSAMPLING`` times (the rarest class, and
    the one a desk most needs) and starts from its own seed; their probabilities are averaged.
    """
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    related = [p for p in pairs if p.label != "unrelated"]
    x = np.stack(
        [space.stance(p.headline, vector_of[p.headline], articles[p.body_id]) for p in related]
    )
    y = np.array([str(p.label) for p in related])
    rows = np.arange(len(y))
    rows = np.concatenate([rows] + [rows[y == "disagree"]] * (DISAGREE_OVERSAMPLING - 1))
    scaler = StandardScaler().fit(x)
    scaled = scaler.transform(x)
    models = [
        MLPClassifier(
            hidden_layer_sizes=(HIDDEN,),
            alpha=ALPHA,
            max_iter=200,
            early_stopping=True,
            random_state=seed,
        ).fit(scaled[rows], y[rows])
        for seed in ENSEMBLE_SEEDS
    ]
    return {
        "b_mean": scaler.mean_,
        "b_scale": scaler.scale_,
        "b_w0": np.stack([m.coefs_[0] for m in models]).astype(np.float32),
        "b_b0": np.stack([m.intercepts_[0] for m in models]).astype(np.float32),
        "b_w1": np.stack([m.coefs_[1] for m in models]).astype(np.float32),
        "b_b1": np.stack([m.intercepts_[1] for m in models]).astype(np.float32),
        "b_classes": np.array([str(c) for c in models[0].classes_]),
    }


def output_paths(out: Path | None) -> tuple[Path, Path]:
    """The weights file and its manifest for ``--out``: the package's when none is given; in a
    folder (an existing one, or a name without a suffix), the shipped file names; else the
    file named and a manifest beside it."""
    if out is None:
        return MODEL_FILE, MANIFEST_FILE
    if out.is_dir() or not out.suffix:
        return out / MODEL_FILE.name, out / MANIFEST_FILE.name
    return out, out.with_suffix(".json")


def _write_manifest(
    manifest: Path,
    out: Path,
    data: Path,
    model_key: str,
    sha: str,
    dev: Scores,
    seconds: float,
    synthetic_pairs: int,
) -> None:
    manifest.write_text(
        json.dumps(
            {
                "sha256": sha,
                "file": out.name,
                "command": f"monitor stance train --data {data}",
                "embedding_model": model_key,
                "seed": SEED,
                "dev_split": "20% of Body IDs, numpy RandomState(13)",
                "stage1": "logistic regression: relatedness, TF-IDF overlap, cues near the claim",
                "stage2": {
                    "model": "MLP ensemble, probabilities averaged",
                    "hidden": HIDDEN,
                    "alpha": ALPHA,
                    "seeds": list(ENSEMBLE_SEEDS),
                    "disagree_oversampling": DISAGREE_OVERSAMPLING,
                },
                "synthetic_pairs": synthetic_pairs,
                "training_seconds": round(seconds),
                "dev": dev.as_dict(),
            },
            indent=2,
        )
        + "\n"
    )


def _unique_headlines(pairs: Sequence[Pair], embedder: Embedder) -> tuple[list[str], np.ndarray]:
    headlines = sorted({p.headline for p in pairs})
    return headlines, embedder.encode(headlines)
