"""Train the built-in stance model on FNC-1 (``monitor stance train``); needs scikit-learn.

Deterministic: the split (by Body ID), the oversampling and both models are seeded, and the
embeddings come from the same model on the CPU, so the same data gives the same weights.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.judge.builtin import (
    MANIFEST_FILE,
    MODEL_FILE,
    BuiltinStance,
    StanceWeights,
    related_features,
    stance_features,
)
from monitor.judge.embed import Embedder
from monitor.judge.fnc import Pair, Scores, read_bodies, read_pairs, score

SEED = 13
DEV_SHARE = 0.2
DISAGREE_OVERSAMPLING = 3
HIDDEN = 128


def split_bodies(body_ids: Iterable[str], seed: int = SEED) -> tuple[set[str], set[str]]:
    """Train and dev Body IDs: 20% of the bodies held out, never trained or tuned on."""
    ids = sorted(set(body_ids), key=lambda b: (len(b), b))
    np.random.RandomState(seed).shuffle(ids)
    cut = int(len(ids) * (1 - DEV_SHARE))
    return set(ids[:cut]), set(ids[cut:])


@dataclass(frozen=True)
class TrainingReport:
    dev: Scores
    train_pairs: int
    dev_pairs: int
    sha256: str


def train(
    data: Path,
    embedder: Embedder,
    out: Path = MODEL_FILE,
    manifest: Path = MANIFEST_FILE,
    progress: Callable[[Iterable[int]], Iterable[int]] = iter,
) -> TrainingReport:
    """Train on FNC-1's ``train_*.csv`` in ``data``, write the weights and report on dev."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    pairs = read_pairs(data / "train_stances.csv")
    bodies = read_bodies(data / "train_bodies.csv")
    train_ids, dev_ids = split_bodies(bodies)
    model = BuiltinStance(embedder)
    articles = model.articles(bodies, progress)
    labelled = [p for p in pairs if p.label is not None]
    vectors = dict(zip(*_unique_headlines(labelled, embedder), strict=True))
    xa = np.stack(
        [related_features(p.headline, vectors[p.headline], articles[p.body_id]) for p in labelled]
    )
    xb = np.stack(
        [stance_features(p.headline, vectors[p.headline], articles[p.body_id]) for p in labelled]
    )
    y = np.array([p.label for p in labelled])
    is_train = np.array([p.body_id in train_ids for p in labelled])
    related = y != "unrelated"

    scaler_a = StandardScaler().fit(xa[is_train])
    stage1 = LogisticRegression(C=1.0, max_iter=2000, random_state=SEED)
    stage1.fit(scaler_a.transform(xa[is_train]), related[is_train])

    rows = np.flatnonzero(is_train & related)
    rows = np.concatenate([rows] + [rows[y[rows] == "disagree"]] * (DISAGREE_OVERSAMPLING - 1))
    scaler_b = StandardScaler().fit(xb[is_train & related])
    stage2 = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        alpha=1e-3,
        max_iter=200,
        early_stopping=True,
        random_state=SEED,
    )
    stage2.fit(scaler_b.transform(xb[rows]), y[rows])

    weights = StanceWeights(
        {
            "a_mean": scaler_a.mean_,
            "a_scale": scaler_a.scale_,
            "a_coef": stage1.coef_[0],
            "a_intercept": stage1.intercept_,
            "b_mean": scaler_b.mean_,
            "b_scale": scaler_b.scale_,
            "b_w0": stage2.coefs_[0],
            "b_b0": stage2.intercepts_[0],
            "b_w1": stage2.coefs_[1],
            "b_b1": stage2.intercepts_[1],
            "b_classes": np.array([str(c) for c in stage2.classes_]),
        },
        embedder.model_key,
    )
    sha = weights.save(out)
    dev_pairs = [p for p in labelled if p.body_id in dev_ids]
    predicted = BuiltinStance(embedder, weights).labels(
        [p.headline for p in dev_pairs], [articles[p.body_id] for p in dev_pairs]
    )
    dev = score([str(p.label) for p in dev_pairs], [label for label, _ in predicted])
    manifest.write_text(
        json.dumps(
            {
                "sha256": sha,
                "file": out.name,
                "command": f"monitor stance train --data {data}",
                "embedding_model": embedder.model_key,
                "seed": SEED,
                "dev_split": "20% of Body IDs, numpy RandomState(13)",
                "dev": dev.as_dict(),
            },
            indent=2,
        )
        + "\n"
    )
    return TrainingReport(dev, int(is_train.sum()), len(dev_pairs), sha)


def _unique_headlines(pairs: Sequence[Pair], embedder: Embedder) -> tuple[list[str], np.ndarray]:
    headlines = sorted({p.headline for p in pairs})
    return headlines, embedder.encode(headlines)
