"""Does the cross-encoder tell adjacent items from related ones better than the built-in model's
relatedness, which the relevance decision uses now? (docs/stance-research.md, section 25.)

    nice -n 10 python scripts/research/relevance_record.py i    # .cache/i.json (and j)
    python scripts/research/relatedness_cross.py [--cache .cache] [--sets i j] [--model FOLDER]
                                                 [--fit] [--json OUT]

Each recorded candidate (``relevance_record.py``: every claim an item comes within the floor of,
with the cosine, the built-in relatedness and the margin) is read by the cross-encoder (the
shipped one, or ``--model``) on the window it reads in the pipeline, built without the matcher's
closest passage (the record does not keep it); its relatedness is one minus its ``unrelated``
probability. Judged only on sets the model never trained on: desk sets I and J for
``stance-ce-v7`` (``--model`` its folder, from git history), K for ``stance-ce-v9``.

Printed: how well each relatedness alone separates the candidates the desk calls related from
the rest (ROC AUC, among candidates at or above the shipped floor 0.35); then the relevance
decision refitted with the cross-encoder's relatedness added (or in place of the built-in one),
each set decided by weights fitted on the others' tune claims (``relevance_refit.fit_on``: the
bench's logistic and operating-point rules), against the shipped weights. ``--fit`` instead
fits round 21's candidate decision on all the sets given (the cross-encoder's relatedness in
place of the built-in one, "highest recall with precision >= 0.93") and prints its weights, with
each set decided by them and by the shipped ``CROSS`` weights ("shipped cross"; "shipped" is
the built-in model's decision).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np
import relevance_refit as refit  # type: ignore[import-not-found]

from bench.deskset import SETS
from monitor.judge import cross
from monitor.judge.relevance import CROSS
from monitor.judge.stance import StanceQuery

FLOOR = 0.35
FEATURES: dict[str, refit.Features] = {
    "base": refit.FEATURES["base"],
    "+cross": lambda c: [c["similarity"], c["related"], c["margin"], c["cross"]],
    "cross for related": lambda c: [c["similarity"], c["cross"], c["margin"]],
    "+logit(cross)": lambda c: [
        c["similarity"],
        c["related"],
        c["margin"],
        refit.logit(c["cross"]),
    ],
}
RULES = {"bench": None, "p.93": 0.93, "p.91": 0.91}
WEIGHTS = ("similarity_weight", "related_weight", "margin_weight", "bias")


def add_cross(data: dict[str, Any], name: str, model: cross.CrossEncoderStance) -> None:
    """Each candidate's cross-encoder relatedness, as ``cross``."""
    desk = SETS[name]()
    items = {i.id: i for i in desk.items}
    how = model.window
    pairs = []
    for c in data["candidates"]:
        item = items[c["item"]]
        query = StanceQuery(desk.claims[c["claim"]].text, (), item.title, item.body)
        pairs.append((query.claim, cross._query_window(query, how)[0]))
    probabilities = model.probabilities(pairs)
    for c, row in zip(data["candidates"], probabilities, strict=True):
        c["cross"] = float(1.0 - row[0])


def auc(scores: list[float], labels: list[bool]) -> float:
    """The probability that a related candidate scores above an unrelated one (ties half)."""
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    values = np.asarray(scores)
    for value in np.unique(values):  # average the ranks of ties
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    positive = np.asarray(labels)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    parser.add_argument("--sets", nargs="+", default=["i", "j"])
    parser.add_argument("--model", type=Path, default=cross.MODEL_DIR)
    parser.add_argument("--fit", action="store_true", help="fit round 21's candidate on --sets")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    refit.SETS = tuple(args.sets)
    model = cross.CrossEncoderStance(args.model)
    data = {name: refit.load(args.cache, name) for name in args.sets}
    for name in args.sets:
        add_cross(data[name], name, model)
    results: dict[str, Any] = {"model": str(args.model), "sets": args.sets, "auc": {}}
    for name in args.sets:
        kept = [c for c in data[name]["candidates"] if c["similarity"] >= FLOOR]
        labels = [bool(c["relevant"]) for c in kept]
        results["auc"][name] = {
            "candidates": len(kept),
            "related": sum(labels),
            "built-in relatedness": round(auc([c["related"] for c in kept], labels), 3),
            "cross-encoder relatedness": round(auc([c["cross"] for c in kept], labels), 3),
            "cosine": round(auc([c["similarity"] for c in kept], labels), 3),
        }
    print(json.dumps(results["auc"], indent=1))
    shipped = [CROSS.similarity_weight, CROSS.related_weight, CROSS.margin_weight, CROSS.bias]
    results["shipped cross"] = refit.per_set(
        data, lambda _held: shipped, FEATURES["cross for related"], FLOOR
    )
    if args.fit:
        sets = list(data.values())
        weights = refit.fit_on(sets, FEATURES["cross for related"], FLOOR, 0.93)
        results["candidate"] = {
            "weights": dict(zip(WEIGHTS, (round(w, 3) for w in weights), strict=True)),
            "in_sample": refit.per_set(
                data, lambda _held: weights, FEATURES["cross for related"], FLOOR
            ),
        }
        results["shipped"] = refit.shipped(data)
        print(json.dumps({k: results[k] for k in ("candidate", "shipped cross")}, indent=1))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1) + "\n")
        return
    results["shipped"] = refit.shipped(data)
    print("shipped", json.dumps(results["shipped"]))
    print("shipped cross", json.dumps(results["shipped cross"]))
    for feature, features in FEATURES.items():
        for rule, precision in RULES.items():
            label = f"{feature} {rule}"
            results[label] = refit.loso(data, features, FLOOR, precision)
            print(label, json.dumps({k: results[label][k] for k in args.sets}), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
