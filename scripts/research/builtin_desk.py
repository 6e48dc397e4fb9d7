"""Does the built-in model read stance as a desk does once its stage 2 has seen desk items?

    python scripts/research/builtin_desk.py OUT.json --data FNC1_DIR [--repeat 10] [--folds 3]
        [--cache FILE]

Round 11 (docs/stance-research.md, section 16). The shipped built-in model keeps its feature
space and stage 1 (relatedness); stage 2 (the MLP ensemble: agree / disagree / discuss) is
retrained on the shipped recipe's FNC-1 training pairs (the body split) plus the desk sets'
related items (the first set, C and E; supports -> agree, contradicts -> disagree, mentions ->
discuss; the item's body as the article, as the pipeline reads it), each repeated ``--repeat``
times. Folds by claim over C's and E's claims (seeded), the first set always trained on; each
fold's model and the shipped one read the held-out claims' related pairs as if alerted, the
classifier alone and through the reading rules (``monitor.judge.reading``). The final model
(every desk item) is scored on FNC-1's dev split (the held-out fifth of the bodies). Desk sets
B and D are never read here.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.deskset import SETS, DeskItem
from monitor.judge import reading, training
from monitor.judge.builtin import BuiltinStance, StanceWeights
from monitor.judge.embed import shared_embedder
from monitor.judge.features import Article
from monitor.judge.fnc import Pair, read_bodies, read_pairs, score
from monitor.judge.stance import StanceQuery
from monitor.settings import Settings
from scripts.research import desk_finetune

FNC_OF = {"supports": "agree", "contradicts": "disagree", "mentions": "discuss"}
DESK = "desk-"  # body ids of desk items
SEED = 13


def desk_items() -> dict[str, list[tuple[str, DeskItem]]]:
    """Each development set's related items with their claims' texts."""
    found: dict[str, list[tuple[str, DeskItem]]] = {}
    for name in ("main", "c", "e"):
        desk = SETS[name]()
        found[name] = [
            (desk.claims[i.claim_id].text, i) for i in desk.items if i.label != "unrelated"
        ]
    return found


def read_through_rules(
    model: BuiltinStance, candidates: Sequence[reading.Candidate]
) -> list[tuple[str, str]]:
    """(classifier alone, through the rules as the pipeline reads) per candidate, as desk
    stances."""
    alone = model.classify([StanceQuery(c.claim, c.closest, c.title, c.text) for c in candidates])
    read = reading.read_candidates(model, candidates)
    return [(a.stance.value, r.result.stance.value) for a, r in zip(alone, read, strict=True)]


def figures(gold: Sequence[str], shown: Sequence[str]) -> dict[str, float]:
    right = sum(g == s for g, s in zip(gold, shown, strict=True))
    tp = sum(g == s == "contradicts" for g, s in zip(gold, shown, strict=True))
    labelled = sum(g == "contradicts" for g in gold)
    called = sum(s == "contradicts" for s in shown)
    recall, precision = tp / max(labelled, 1), tp / max(called, 1)
    f1 = 2 * recall * precision / (recall + precision) if tp else 0.0
    return {
        "pairs": len(gold),
        "accuracy": round(right / len(gold), 3),
        "contradiction_recall": round(recall, 3),
        "contradiction_precision": round(precision, 3),
        "contradiction_f1": round(f1, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--cache", type=Path, help="FNC-1 articles, pickled between runs")
    args = parser.parse_args()
    started = time.perf_counter()
    embedder = shared_embedder(Settings().embedding_model)
    shipped = StanceWeights.load()
    space = shipped.space
    pairs = [p for p in read_pairs(args.data / "train_stances.csv") if p.label is not None]
    bodies = read_bodies(args.data / "train_bodies.csv")
    fnc_train, fnc_dev = training._parts(pairs, bodies, "body")
    if args.cache and args.cache.exists():
        articles: dict[str, Article] = pickle.loads(args.cache.read_bytes())
    else:
        articles = BuiltinStance(embedder).articles(bodies)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(articles))
    print(f"FNC-1 articles: {time.perf_counter() - started:.0f} s", flush=True)

    sets = desk_items()
    every = [(name, claim, item) for name, rows in sets.items() for claim, item in rows]
    builtin = BuiltinStance(embedder)
    desk_articles = builtin.articles({f"{DESK}{item.id}": item.body for _, _, item in every})
    articles.update(desk_articles)
    claims = sorted({claim for _, claim, _ in every} | {p.headline for p in fnc_train})
    vector_of = dict(zip(claims, embedder.encode(claims), strict=True))
    desk_pair = {
        item.id: Pair(claim, f"{DESK}{item.id}", FNC_OF[item.label]) for _, claim, item in every
    }
    candidates = {  # the pipeline's candidate of each item: its five passages closest to the claim
        row["item"]: found
        for name in sets
        for row, found in zip(*desk_finetune.candidates(SETS[name]()), strict=True)
    }

    def trained(items: Sequence[DeskItem]) -> StanceWeights:
        extra = [desk_pair[i.id] for i in items] * args.repeat
        stage2 = training._stage2(space, [*fnc_train, *extra], vector_of, articles)
        return StanceWeights({**shipped.arrays, **stage2}, embedder.model_key)

    folded = sorted({item.claim_id for name, _, item in every if name in ("c", "e")})
    order = np.random.RandomState(SEED).permutation(len(folded))
    fold_of = {folded[int(j)]: n % args.folds for n, j in enumerate(order)}
    rows: list[dict[str, Any]] = []
    for fold in range(args.folds):
        train_items = [i for _, _, i in every if fold_of.get(i.claim_id, -1) != fold]
        held = [i for _, _, i in every if fold_of.get(i.claim_id, -1) == fold]
        model = BuiltinStance(embedder, trained(train_items))
        tuned = read_through_rules(model, [candidates[i.id] for i in held])
        reading_of = [candidates[i.id] for i in held]
        base = read_through_rules(BuiltinStance(embedder, shipped), reading_of)
        for item, (t_model, t_rules), (s_model, s_rules) in zip(held, tuned, base, strict=True):
            rows.append(
                {
                    "item": item.id,
                    "claim": item.claim_id,
                    "fold": fold,
                    "gold": item.label,
                    "shipped": {"model": s_model, "rules": s_rules},
                    "tuned": {"model": t_model, "rules": t_rules},
                }
            )
        print(f"fold {fold}: {len(held)} pairs, {time.perf_counter() - started:.0f} s", flush=True)

    gold = [r["gold"] for r in rows]
    result: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}
    for who in ("shipped", "tuned"):
        for how in ("model", "rules"):
            result[f"{who}_{how}"] = figures(gold, [r[who][how] for r in rows])
            for name in ("c", "e"):
                keep = [r for r in rows if r["item"] in {i.id for _, i in sets[name]}]
                result[f"{who}_{how}_{name}"] = figures(
                    [r["gold"] for r in keep], [r[who][how] for r in keep]
                )
    final = BuiltinStance(embedder, trained([i for _, _, i in every]))
    predicted = final.labels([p.headline for p in fnc_dev], [articles[p.body_id] for p in fnc_dev])
    dev = score([str(p.label) for p in fnc_dev], [label for label, _ in predicted])
    result["final_fnc_dev"] = dev.as_dict()
    result["seconds"] = round(time.perf_counter() - started)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for key in ("shipped_model", "tuned_model", "shipped_rules", "tuned_rules"):
        print(key, result[key])
    print("final FNC-1 dev macro-F1", dev.as_dict()["macro_f1"], "seconds", result["seconds"])


if __name__ == "__main__":
    main()
