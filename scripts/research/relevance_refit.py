"""The relevance decision refitted leave-one-set-out on the development desk sets (round 18).

    for s in main c e f g h; do
        nice -n 10 python scripts/research/relevance_record.py $s     # .cache/$s.json, ~1 min each
    done
    python scripts/research/relevance_refit.py [--cache .cache] [--json OUT]

For each variant (a feature set, a candidate floor) the logistic (``bench.desk.fit``: its
fitting, and its operating-point rule placing the cut at the default threshold 0.6) is fitted on
the tune claims of five development sets and decides every claim of the sixth. Matching recall
is over every labelled related pair of the held-out set (candidates or not), precision over
every pair decided relevant (an item decided for a claim not its own counts against it), as the
desk bench scores the Slack posts. ``shipped`` decides with ``monitor.judge.relevance.BUILTIN``
as it stands (fitted on the first set's tune claims, so the first set is not held out for it).

Also printed: what caps recall in each set: related pairs never a candidate (their best cosine
under the floor), against candidates the decision drops.

Desk sets B, D, the report and I are never read.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from bench.desk import _z
from monitor.judge.relevance import BUILTIN

SETS = ("main", "c", "e", "f", "g", "h")
Candidate = dict[str, Any]
Features = Callable[[Candidate], list[float]]


def logit(p: float, eps: float = 1e-3) -> float:
    p = min(1 - eps, max(eps, p))
    return math.log(p / (1 - p))


FEATURES: dict[str, Features] = {
    "base": lambda c: [c["similarity"], c["related"], c["margin"]],
    "logit(related)": lambda c: [c["similarity"], logit(c["related"]), c["margin"]],
    "+rank": lambda c: [c["similarity"], c["related"], c["margin"], min(c["rank"], 3)],
    "+top": lambda c: [c["similarity"], c["related"], c["margin"], float(c["rank"] == 0)],
    "+best-mean": lambda c: [
        c["similarity"],
        c["related"],
        c["margin"],
        c["similarity"] - c["mean"],
    ],
    "+second": lambda c: [
        c["similarity"],
        c["related"],
        c["margin"],
        c["second"] or c["similarity"],
    ],
    "+sim*related": lambda c: [
        c["similarity"],
        c["related"],
        c["margin"],
        c["similarity"] * c["related"],
    ],
}


def load(cache: Path, name: str) -> dict[str, Any]:
    data = json.loads((cache / f"{name}.json").read_text())
    for c in data["candidates"]:
        own = data["best"].get(c["item"], {})
        c["rank"] = sum(1 for s in own.values() if s > c["similarity"])
        c["set"] = name
    return data


def related_pairs(data: dict[str, Any], split: str | None) -> set[tuple[str, str]]:
    return {
        (claim, item)
        for item, (claim, label) in data["labels"].items()
        if label != "unrelated" and (split is None or data["claims"][claim] == split)
    }


def decide(
    weights: Sequence[float], features: Features, candidates: Sequence[Candidate], floor: float
) -> set[tuple[str, str]]:
    chosen = set()
    for c in candidates:
        if c["similarity"] < floor:
            continue
        z = sum(w * x for w, x in zip(weights[:-1], features(c), strict=True)) + weights[-1]
        if 1 / (1 + math.exp(-z)) >= 0.6:
            chosen.add((c["claim"], c["item"]))
    return chosen


def figures(chosen: set[tuple[str, str]], gold: set[tuple[str, str]]) -> tuple[int, int, int]:
    return len(chosen & gold), len(chosen), len(gold)


def ratios(hits: int, alerts: int, gold: int) -> dict[str, float]:
    recall = hits / gold if gold else 0.0
    precision = hits / alerts if alerts else 0.0
    f = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {"recall": round(recall, 3), "precision": round(precision, 3), "f1": round(f, 3)}


def fit_on(
    sets: Sequence[dict[str, Any]],
    features: Features,
    floor: float,
    precision: float | None = None,
) -> list[float]:
    """``bench.desk.fit``'s logistic and operating point, on the tune claims of ``sets``."""
    rows, related = [], 0
    for data in sets:
        related += len(related_pairs(data, "tune"))
        for c in data["candidates"]:
            if c["split"] == "tune" and c["similarity"] >= floor:
                rows.append({**c, "features": features(c)})
    return fitted_weights(rows, related, 0.95, precision)


def logistic(x: Sequence[Sequence[float]], y: Sequence[float], l2: float = 1e-3) -> list[float]:
    """``bench.desk._logistic``'s weights (mean log loss plus ``l2 / 2`` times the squared
    weights, not the bias) by Newton's method: the same optimum (to 1e-9 on the first set's tune
    claims: the shipped weights) fifty times faster than its 20,000 gradient steps."""
    features = np.array([[*row, 1.0] for row in x])
    target = np.array(y)
    penalty = np.r_[np.full(features.shape[1] - 1, l2), 0.0]
    weights = np.zeros(features.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(features @ weights)))
        gradient = features.T @ (p - target) / len(target) + penalty * weights
        hessian = (features * (p * (1 - p))[:, None]).T @ features / len(target)
        step = np.linalg.solve(hessian + np.diag(penalty), gradient)
        weights -= step
        if np.abs(step).max() < 1e-10:
            break
    return [float(v) for v in weights]


def fitted_weights(
    rows: list[Candidate], related: int, target: float, precision: float | None = None
) -> list[float]:
    x = [r["features"] for r in rows]
    y = [1.0 if r["relevant"] else 0.0 for r in rows]
    w = logistic(x, y)
    scores = sorted(((_z(w, p), label) for p, label in zip(x, y, strict=True)), reverse=True)
    points, right = [], 0.0
    for kept, (z, label) in enumerate(scores, start=1):
        right += label
        points.append((z, right / related, right / kept))
    if precision is not None:  # the highest recall at that precision
        z_at = max((p for p in points if p[2] >= precision), key=lambda p: p[1])[0]
        return [*w[:-1], w[-1] - z_at + math.log(0.6 / 0.4)]
    reaching = [p for p in points if p[1] >= target and p[2] >= target]
    if reaching:
        z_at = max(reaching, key=lambda p: p[1])[0]
    else:
        z_at = max(points, key=lambda p: 2 * p[1] * p[2] / (p[1] + p[2] or 1))[0]
    return [*w[:-1], w[-1] - z_at + math.log(0.6 / 0.4)]


def shipped_weights() -> list[float]:
    b = BUILTIN
    return [b.similarity_weight, b.related_weight, b.margin_weight, b.bias]


def per_set(
    data: dict[str, dict[str, Any]],
    weights_for: Callable[[str], list[float]],
    features: Features,
    floor: float,
) -> dict[str, Any]:
    """Each set decided with ``weights_for(that set)``, and the pooled figures (all six, and C to
    H: the shipped weights were fitted on the first set)."""
    rows: dict[str, Any] = {}
    pooled, others = [0, 0, 0], [0, 0, 0]
    for held in SETS:
        chosen = decide(weights_for(held), features, data[held]["candidates"], floor)
        counts = figures(chosen, related_pairs(data[held], None))
        pooled = [a + b for a, b in zip(pooled, counts, strict=True)]
        rows[held] = ratios(*counts)
        if held != "main":
            others = [a + b for a, b in zip(others, counts, strict=True)]
    rows["pooled"] = ratios(*pooled)
    rows["pooled C-H"] = ratios(*others)
    return rows


def loso(
    data: dict[str, dict[str, Any]], features: Features, floor: float, precision: float | None
) -> dict[str, Any]:
    """Each set decided by a fit on the other five (leave one set out)."""

    def fitted_without(held: str) -> list[float]:
        return fit_on([data[s] for s in SETS if s != held], features, floor, precision)

    rows = per_set(data, fitted_without, features, floor)
    rows["all-six weights"] = [
        round(w, 3) for w in fit_on(list(data.values()), features, floor, precision)
    ]
    return rows


def shipped(data: dict[str, dict[str, Any]], floor: float = 0.35) -> dict[str, Any]:
    """Each set decided by the shipped weights."""
    return per_set(data, lambda _held: shipped_weights(), FEATURES["base"], floor)


def caps(data: dict[str, dict[str, Any]], floor: float = 0.35) -> dict[str, Any]:
    """Where each set's related pairs are lost to the shipped decision."""
    out: dict[str, Any] = {}
    for name in SETS:
        d = data[name]
        gold = related_pairs(d, None)
        best = {(claim, item): d["best"].get(item, {}).get(claim, -1.0) for claim, item in gold}
        chosen = decide(shipped_weights(), FEATURES["base"], d["candidates"], floor)
        out[name] = {
            "related": len(gold),
            "under_0.25": sum(1 for s in best.values() if s < 0.25),
            "0.25_to_floor": sum(1 for s in best.values() if 0.25 <= s < floor),
            "candidates_dropped": sum(1 for p, s in best.items() if s >= floor and p not in chosen),
            "alerted": len(gold & chosen),
        }
    out["pooled"] = {k: sum(v[k] for v in out.values()) for k in out["main"]}
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    args = parser.parse_args(argv)
    data = {name: load(args.cache, name) for name in SETS}
    results: dict[str, Any] = {"caps": caps(data), "shipped": shipped(data)}
    rules = {"bench": None, "p.95": 0.95, "p.93": 0.93, "p.91": 0.91}
    variants = [
        (f"{name} floor={floor} {rule}", FEATURES[name], floor, precision)
        for floor in (0.35, 0.30)
        for name in FEATURES
        for rule, precision in rules.items()
    ]
    for label, features, floor, precision in variants:
        if args.only and not any(label.startswith(o) for o in args.only):
            continue
        results[label] = loso(data, features, floor, precision)
        print(label, results[label]["pooled"], file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results["caps"]))
    print(table(results))


def table(results: dict[str, Any]) -> str:
    """Recall / precision (F1) per held-out set and pooled, one row per variant."""
    columns = [*SETS, "pooled", "pooled C-H"]
    lines = [
        "| variant | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for label, rows in results.items():
        if label == "caps":
            continue
        cells = [f"{rows[c]['recall']:.3f} / {rows[c]['precision']:.3f}" for c in columns[:-2]]
        cells += [
            f"{rows[c]['recall']:.3f} / {rows[c]['precision']:.3f} ({rows[c]['f1']:.3f})"
            for c in columns[-2:]
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
