"""Whose relatedness should the cross-encoder's relevance decision use? Round 7, rule 2
(docs/stance-research.md, section 12).

    python -m bench desk --set c --stance-model crossencoder --calibrate --builtin-relatedness \\
        --json BUILTIN.json
    python -m bench desk --set c --stance-model crossencoder --calibrate --json OWN.json
    python scripts/research/relatedness_loco.py BUILTIN.json OWN.json [--set c]

(Round 7 ran these before round 21 made the cross-encoder's own relatedness the default, as
``--own-relatedness`` and without it.) Both files hold every candidate of the same replay (the
cosine gate alone decides candidates, so they are the same pairs); only the relatedness differs.
For each variant the relevance logistic (``bench.desk.fit``, its operating-point rule unchanged)
is fitted leave-one-claim-out:
each claim's candidates are decided by the fit on the other claims. Pooled matching recall
(over every labelled related pair of the set, candidates or not), precision (over the pairs
decided relevant, an item alerted for a claim not its own counting against it) and F1 are
printed, with the fit on all claims for each variant, and (``shipped``) the built-in
relatedness decided by the shipped weights (``monitor.judge.relevance.BUILTIN``, fitted on the
first desk set's tune claims, so never on these): what the service did, which the rule as
written left out of its comparison (docs/stance-research.md, section 12).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.desk import fit
from bench.deskset import SETS
from monitor.judge.relevance import BUILTIN, CANDIDATE_SIMILARITY, Relevance

THRESHOLD = 0.6  # the default claim threshold, where fit puts its operating point
_WEIGHTS = ("similarity_weight", "related_weight", "margin_weight", "bias")


def decide(decision: Relevance, candidate: dict[str, Any]) -> bool:
    """Whether the service would make ``candidate`` evidence at the default threshold."""
    return decision.bears_on(
        candidate["similarity"], candidate["related"], THRESHOLD, candidate["margin"]
    )


def fitted(candidates: list[dict[str, Any]], related: int) -> Relevance:
    """The relevance decision ``bench.desk.fit`` fits on ``candidates``."""
    weights = fit(candidates, related)
    return Relevance(CANDIDATE_SIMILARITY, **{k: weights[k] for k in _WEIGHTS})


def loco(candidates: list[dict[str, Any]], related_by_claim: dict[str, int]) -> dict[str, Any]:
    """Each claim's candidates decided by the fit on the other claims, pooled."""
    kept = []
    for held in sorted(related_by_claim):
        train = [c for c in candidates if c["claim"] != held]
        decision = fitted(train, sum(n for k, n in related_by_claim.items() if k != held))
        kept += [c for c in candidates if c["claim"] == held and decide(decision, c)]
    related = sum(related_by_claim.values())
    return {**pooled(kept, related), "fit_on_all": fit(candidates, related)}


def shipped(candidates: list[dict[str, Any]], related: int) -> dict[str, Any]:
    """The candidates decided by the shipped weights, pooled as :func:`loco` pools."""
    return pooled([c for c in candidates if decide(BUILTIN, c)], related)


def pooled(kept: list[dict[str, Any]], related: int) -> dict[str, Any]:
    """Recall over the ``related`` labelled pairs, precision over the ``kept`` candidates."""
    right = sum(bool(c["relevant"]) for c in kept)
    recall, precision = right / related, right / len(kept) if kept else 0.0
    f1 = 2 * recall * precision / (recall + precision) if right else 0.0
    return {
        "recall": round(recall, 3),
        "precision": round(precision, 3),
        "f1": round(f1, 3),
        "alerts": len(kept),
        "right": right,
        "related_pairs": related,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("builtin", type=Path, help="--calibrate output, built-in relatedness")
    parser.add_argument("own", type=Path, help="--calibrate output, own relatedness")
    parser.add_argument("--set", default="c", choices=sorted(SETS))
    args = parser.parse_args()
    desk = SETS[args.set]()
    related_by_claim = {k: 0 for k, c in desk.claims.items() if c.split == "tune"}
    for item in desk.items:
        if item.label != "unrelated" and item.claim_id in related_by_claim:
            related_by_claim[item.claim_id] += 1
    out: dict[str, Any] = {}
    for name, path in (("builtin", args.builtin), ("own", args.own)):
        rows = json.loads(path.read_text())["candidates"]
        rows = [r for r in rows if r["split"] == "tune"]
        out[name] = loco(rows, related_by_claim)
        if name == "builtin":
            out["shipped"] = shipped(rows, sum(related_by_claim.values()))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
