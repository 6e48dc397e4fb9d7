"""Would a sentence encoder tuned on claim-evidence pairs find what the relevance decision misses?

    python scripts/research/match_biencoder.py train OUT_DIR [--data FNC1] [--epochs 1]
    python scripts/research/match_biencoder.py score MODEL_DIR CANDIDATES.json OUT.json --set c

Round 8 (docs/stance-research.md, section 13) found that the calibrated relevance decision
misses a quarter of the related pairs on desk set D's claims, most of them denials and
reactions worded far from the claim. This asks whether the similarity itself can learn that a
denial is about the claim it denies.

``train`` continues training the shipped all-MiniLM-L6-v2 with in-batch negatives (multiple
negatives ranking: each claim against every passage of its batch, the right one to be the
closest; scale 20) on:

- the FNC-1 claim split's **train part** only: each related pair (agree, disagree, discuss)
  gives the headline and the body passage (of its first ten) closest to it under the shipped
  model, so disagreeing bodies teach that their denial is about the headline;
- the first desk set's related items (both splits: development data): the claim and the
  item's passage closest to it.

No batch holds one claim twice. Seeded; ``OUT_DIR`` is a sentence-transformers folder.

``score`` re-reads a ``python -m bench desk --set NAME --calibrate`` candidates file with the
tuned model: each candidate's similarity (the closest of the item's passages to any of the
claim's phrasings, aliases included, as the matcher computes it) and margin are recomputed,
the stance model's relatedness kept. The relevance logistic is then refitted leave-one-claim-out
(``bench.desk`` ``_logistic``, best-F1 operating point) with the shipped similarity, the tuned
one, and both, on the set's claims. Desk set C is never trained on here; B and D are never read.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.desk import with_margins
from bench.deskset import SETS, load
from monitor.judge.embed import resolve_model
from monitor.judge.fnc import read_bodies, read_pairs
from monitor.judge.match import phrasings
from monitor.judge.passages import body_passages
from monitor.judge.splits import split_by_claim
from monitor.settings import DEFAULT_EMBEDDING_MODEL
from monitor.types import ClaimSpec
from scripts.research.relevance_features import loco

SEED = 13
BATCH = 32
SCALE = 20.0
PASSAGES = 10


def _closest(model: Any, anchors: list[str], groups: list[list[str]]) -> list[str]:
    """For each anchor, the passage of its group closest to it under ``model``."""
    flat = list(dict.fromkeys(p for g in groups for p in g))
    vectors = dict(
        zip(flat, model.encode(flat, batch_size=64, normalize_embeddings=True), strict=True)
    )
    heads = model.encode(anchors, batch_size=64, normalize_embeddings=True)
    out = []
    for head, group in zip(heads, groups, strict=True):
        out.append(max(group, key=lambda p: float(vectors[p] @ head)))
    return out


def pairs_for_training(model: Any, data: Path) -> list[tuple[str, str]]:
    labelled = read_pairs(data / "train_stances.csv")
    bodies = read_bodies(data / "train_bodies.csv")
    train = [p for p in split_by_claim(labelled).train if p.label != "unrelated"]
    anchors = [p.headline for p in train]
    groups = [
        body_passages(bodies[p.body_id])[:PASSAGES] or [bodies[p.body_id][:600]] for p in train
    ]
    desk = load()
    for item in desk.items:
        if item.label == "unrelated":
            continue
        anchors.append(desk.claims[item.claim_id].text)
        groups.append([item.title, *body_passages(item.body)][:PASSAGES])
    positives = _closest(model, anchors, groups)
    print(f"{len(train)} FNC-1 train-part related pairs, {len(anchors) - len(train)} desk items")
    return list(zip(anchors, positives, strict=True))


def batches(pairs: list[tuple[str, str]], rng: random.Random) -> list[list[tuple[str, str]]]:
    """Shuffled batches in which no claim appears twice (its other passages are no negatives)."""
    pool = pairs[:]
    rng.shuffle(pool)
    out: list[list[tuple[str, str]]] = []
    while pool:
        batch, seen, rest = [], set(), []
        for pair in pool:
            if len(batch) < BATCH and pair[0] not in seen:
                batch.append(pair)
                seen.add(pair[0])
            else:
                rest.append(pair)
        out.append(batch)
        pool = rest
    return [b for b in out if len(b) > 1]


def train(args: argparse.Namespace) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    model = SentenceTransformer(resolve_model(DEFAULT_EMBEDDING_MODEL), device="cpu")
    pairs = pairs_for_training(model, args.data)
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr)
    plan = [b for _ in range(args.epochs) for b in batches(pairs, rng)]
    warmup = max(1, len(plan) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / len(plan))
    )
    started = time.time()

    def embed(texts: list[str]) -> Any:
        features = model.tokenize(texts)
        out = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    for step, batch in enumerate(plan):
        anchors, positives = embed([a for a, _ in batch]), embed([p for _, p in batch])
        scores = SCALE * anchors @ positives.T
        loss = torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))
        loss.backward()
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step % 50 == 0:
            print(f"step {step} of {len(plan)}: loss {loss.item():.4f}", flush=True)
    model.eval()
    model.save(str(args.out))
    print(f"saved {args.out}: {len(pairs)} pairs, {len(plan)} steps, {time.time() - started:.0f} s")


def score(args: argparse.Namespace) -> None:
    from sentence_transformers import SentenceTransformer

    desk = SETS[args.set]()
    items = {i.id: i for i in desk.items}
    candidates = json.loads(args.candidates.read_text())["candidates"]
    model = SentenceTransformer(str(args.model), device="cpu")
    phr = {cid: list(phrasings(ClaimSpec(key=cid, text=c.text))) for cid, c in desk.claims.items()}
    texts = {i.id: [i.title, *body_passages(i.body)] for i in desk.items}
    flat = list(
        dict.fromkeys([t for g in texts.values() for t in g] + [p for g in phr.values() for p in g])
    )
    vectors = dict(
        zip(flat, model.encode(flat, batch_size=64, normalize_embeddings=True), strict=True)
    )
    for c in candidates:
        item = np.stack([vectors[t] for t in texts[c["item"]]])
        claim = np.stack([vectors[p] for p in phr[c["claim"]]])
        c["tuned_similarity"] = float((item @ claim.T).max())
    # The margin as the matcher computes it, from the tuned similarities.
    tuned = with_margins([{**c, "similarity": c["tuned_similarity"]} for c in candidates])
    for c, t in zip(candidates, tuned, strict=True):
        c["tuned_margin"] = t["margin"]
    related = sum(1 for i in items.values() if i.label != "unrelated")
    kinds = {
        "shipped similarity": lambda c: [c["similarity"], c["related"], c["margin"]],
        "tuned similarity": lambda c: [c["tuned_similarity"], c["related"], c["tuned_margin"]],
        "both": lambda c: [c["similarity"], c["tuned_similarity"], c["related"], c["tuned_margin"]],
    }
    result: dict[str, Any] = {"set": args.set, "related_pairs": related}
    pool = [{**c, "set": args.set} for c in candidates]
    for name, features in kinds.items():
        r, p, _ = loco(pool, features, args.set, related)
        result[name] = {
            "recall": round(r, 3),
            "precision": round(p, 3),
            "f1": round(2 * r * p / (r + p), 3),
        }
        print(f"{name:20s} R {r:.3f} P {p:.3f} F1 {2 * r * p / (r + p):.3f}", flush=True)
    args.out.write_text(json.dumps(result, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("out", type=Path)
    t.add_argument("--data", type=Path, default=Path("../shared/datasets/fnc1"))
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--lr", type=float, default=2e-5)
    s = sub.add_parser("score")
    s.add_argument("model", type=Path)
    s.add_argument("candidates", type=Path)
    s.add_argument("out", type=Path)
    s.add_argument("--set", default="c", choices=["main", "c"])
    args = parser.parse_args()
    train(args) if args.command == "train" else score(args)


if __name__ == "__main__":
    main()
