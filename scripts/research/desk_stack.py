"""Stacking the two stance models and the reading rules, fitted on the first desk set
(docs/stance-research.md, section 11).

    python scripts/research/desk_features.py FEATURES.json
    python scripts/research/desk_stack.py FEATURES.json

A multinomial logistic regression (scikit-learn, class weights balanced) over both models'
class probabilities (on the item and on its news alone), the reading rules' signals and each
model's reading through the rules; scored leave-one-claim-out over the first desk set's related
pairs, beside the rules alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

LABELS = ["supports", "contradicts", "mentions"]
RULES = [
    "denial_closest", "news_denial", "news_refutation", "news_calls_false", "news_assertion",
    "unsettled_news", "hedged_news", "not_saying_news", "mutual", "negated_any", "refuted_any",
    "denying_any", "claim_negative", "on_record_any",
]  # fmt: skip
GROUPS = [
    ["cross"], ["cross", "rules"], ["cross", "builtin", "rules"],
    ["cross", "builtin", "rules", "primary"], ["primary"], ["cross", "rules", "primary_cross"],
    ["builtin", "rules", "primary_builtin"], ["cross", "builtin", "primary"],
]  # fmt: skip


def given_related(p: list[float]) -> list[float]:
    """log p(agree, disagree, discuss | related)."""
    a = np.array(p[1:4]) + 1e-4
    return list(np.log(a / a.sum()))


def features(row: dict[str, Any], groups: list[str]) -> list[float]:
    f: list[float] = []
    for model in ("cross", "builtin"):
        if model in groups:
            f += given_related(row[model]["probs"]) + given_related(row[model]["news_probs"])
    if "rules" in groups:
        f += [float(row["rules"][k]) for k in RULES]
        f.append(min(row["rules"]["reported_denials"], 2) / 2)
    for model in ("builtin", "cross"):
        if "primary" in groups or f"primary_{model}" in groups:
            f += [float(row[model]["primary"] == label) for label in LABELS]
    return f


def leave_one_claim_out(rows: list[dict[str, Any]], groups: list[str], c: float) -> np.ndarray:
    x = np.array([features(r, groups) for r in rows])
    y = np.array([LABELS.index(r["gold"]) for r in rows])
    predicted = np.zeros(len(rows), int)
    for claim in sorted({r["claim"] for r in rows}):
        held = np.array([r["claim"] == claim for r in rows])
        fitted = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        predicted[held] = fitted.fit(x[~held], y[~held]).predict(x[held])
    return predicted


def shown(name: str, predicted: np.ndarray, rows: list[dict[str, Any]]) -> None:
    y = np.array([LABELS.index(r["gold"]) for r in rows])
    found = int(((predicted == 1) & (y == 1)).sum())
    recall, precision = found / (y == 1).sum(), found / max(1, (predicted == 1).sum())
    print(
        f"{name:45s} accuracy {(predicted == y).mean():.3f}  "
        f"contradicts R {recall:.3f} P {precision:.3f}"
    )


def main() -> None:
    rows = json.loads(Path(sys.argv[1]).read_text())
    related = [r for r in rows if r["gold"] != "unrelated"]
    for model in ("builtin", "cross"):
        rules = np.array([LABELS.index(r[model]["primary"]) for r in related])
        shown(f"reading rules + {model} (shipped)", rules, related)
    for groups in GROUPS:
        for c in (0.1, 0.3, 1.0):
            shown(f"{'+'.join(groups)} C={c}", leave_one_claim_out(related, groups, c), related)


if __name__ == "__main__":
    main()
