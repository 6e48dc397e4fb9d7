"""Do more signals help the relevance decision? Leave-one-claim-out refits on the development sets.

    python -m bench desk --set main --calibrate --json main.json
    python -m bench desk --set c --calibrate --json c.json
    python scripts/research/relevance_features.py main.json c.json

Round 8 (docs/stance-research.md, section 13). The relevance logistic (cosine, the stance
model's relatedness, margin; ``bench/desk.py``) is refitted with each extra signal on the first
set's and desk set C's candidates together, leaving one claim out at a time; the held-out
claim's candidates are decided at the fit's best-F1 cut. Pooled recall, precision and F1 are
printed for C's claims and for the first set's. The signals:

- ``contradicts`` / ``class``: the reading's stance (is it a contradiction; one-hot class);
- ``coverage``: the share of the claim's content words in the item; ``countries``: the share of
  the countries the claim names that the item names (any of their names);
- ``siblings=T``: the margin recomputed without the claims whose own cosine with this one is
  T or more (a watchlist's sibling claims).

Desk sets B and D are never read here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.desk import _logistic, _z, with_margins
from bench.deskset import load, load_c
from monitor.judge.aliases import mentions
from monitor.judge.cross import key_words

Candidate = dict[str, Any]
Features = Callable[[Candidate], list[float]]


def base(c: Candidate) -> list[float]:
    return [c["similarity"], c["related"], c["margin"]]


SIGNALS: dict[str, Features] = {
    "shipped signals": base,
    "+ contradicts": lambda c: [*base(c), float(c["stance"] == "contradicts")],
    "+ class": lambda c: [
        *base(c),
        float(c["stance"] == "contradicts"),
        float(c["stance"] == "supports"),
    ],
    "+ coverage": lambda c: [*base(c), c["coverage"]],
    "+ countries": lambda c: [*base(c), c["countries"]],
    "+ coverage + countries": lambda c: [*base(c), c["coverage"], c["countries"]],
}


def annotate(candidates: list[Candidate]) -> None:
    """Each candidate's coverage and countries, from the desk sets' texts."""
    texts = {i.id: f"{i.title}\n{i.body}" for desk in (load(), load_c()) for i in desk.items}
    claims = claim_texts()
    for c in candidates:
        claim, item = claims[c["claim"]], texts[c["item"]]
        wanted = key_words(claim)
        c["coverage"] = len(wanted & key_words(item)) / max(len(wanted), 1)
        named = {country.name for country in mentions(claim)}
        found = {country.name for country in mentions(item)}
        c["countries"] = len(named & found) / len(named) if named else 1.0


def sibling_margins(candidates: list[Candidate], threshold: float) -> None:
    """The margin over the closest other claim that is no sibling (claim cosine < threshold)."""
    from monitor.judge.embed import shared_embedder
    from monitor.settings import Settings

    embedder = shared_embedder(Settings().embedding_model)
    texts = claim_texts()
    keys = sorted({c["claim"] for c in candidates})
    vectors = dict(zip(keys, embedder.encode([texts[k] for k in keys]), strict=True))

    def rival(candidate: Candidate, other: Candidate) -> bool:
        return float(vectors[other["claim"]] @ vectors[candidate["claim"]]) < threshold

    with_margins(candidates, rival)


def claim_texts() -> dict[str, str]:
    """Every development claim's text by id (the first set's and C's)."""
    return {c.id: c.text for desk in (load(), load_c()) for c in desk.claims.values()}


def loco(pool: list[Candidate], features: Features, on: str, related: int) -> tuple[float, ...]:
    """Pooled recall, precision, F1 on set ``on``'s claims, each decided by a fit on the rest."""
    tp = fp = 0
    for claim in sorted({c["claim"] for c in pool if c["set"] == on}):
        train = [c for c in pool if not (c["set"] == on and c["claim"] == claim)]
        x, y = [features(c) for c in train], [float(c["relevant"]) for c in train]
        w = _logistic(x, y)
        right, best, cut = 0.0, -1.0, 0.0
        ranked = sorted(((_z(w, f), t) for f, t in zip(x, y, strict=True)), reverse=True)
        for kept, (z, label) in enumerate(ranked, 1):
            right += label
            r, p = right / sum(y), right / kept
            f1 = 2 * r * p / (r + p) if r + p else 0.0
            if f1 > best:
                best, cut = f1, z
        for c in pool:
            if c["set"] == on and c["claim"] == claim and _z(w, features(c)) >= cut:
                tp, fp = tp + c["relevant"], fp + (not c["relevant"])
    r, p = tp / related, tp / max(tp + fp, 1)
    return r, p, 2 * r * p / (r + p)


def main() -> None:
    main_file, c_file = (Path(a) for a in sys.argv[1:3])
    pool = []
    for name, path in (("main", main_file), ("c", c_file)):
        for c in json.loads(path.read_text())["candidates"]:
            pool.append({**c, "set": name})
    annotate(pool)
    related = {
        name: sum(1 for i in desk.items if i.label != "unrelated")
        for name, desk in (("main", load()), ("c", load_c()))
    }
    runs: list[tuple[str, Features]] = list(SIGNALS.items())
    for name, features in runs:
        for on in ("c", "main"):
            r, p, f = loco(pool, features, on, related[on])
            print(f"{name:24s} on {on:4s}: R {r:.3f} P {p:.3f} F1 {f:.3f}", flush=True)
    for threshold in (0.75, 0.68, 0.6):
        sibling_margins(pool, threshold)
        for on in ("c", "main"):
            r, p, f = loco(pool, base, on, related[on])
            print(
                f"siblings={threshold:<15} on {on:4s}: R {r:.3f} P {p:.3f} F1 {f:.3f}", flush=True
            )


if __name__ == "__main__":
    main()
