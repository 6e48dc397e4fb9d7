"""Does fine-tuning the shipped cross-encoder on desk-style reporting carry to unseen claims?

    python scripts/research/desk_finetune.py OUT.json [--folds 4] [--epochs 3] [--lr 2e-5]
        [--replay 1000 --data FNC1] [--base DIR] [--fold-over main|c|e] [--compare DIR]

Continues training the cross-encoder (round 6: ``stance-ce-v3``, see ``--base``) on the
first desk set's pairs (``bench/deskset``: real reporting, labelled by the desk's definitions;
supports -> agree, contradicts -> disagree, mentions -> discuss), each read through the window
the pipeline builds (the item's passages closest to the claim's phrasings). K-fold **by
claim**: train on the other folds' claims, read the held-out claims' pairs with the fine-tuned
network and with the shipped one, classifier alone and through the reading rules
(``monitor.judge.reading.primary``), as ``scripts/research/desk_features.py`` does.
With ``--fold-over c`` (round 8) the folds are desk set C's claims and every first-set claim
is trained on in each; with ``--fold-over e`` (round 12) E's claims, the first set and C always
trained on; ``--compare DIR`` reads the same pairs with another model (the shipped
v4). Desk sets B and D are never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.deskset import SETS
from monitor.judge import reading
from monitor.judge.cross import CLASSES, CrossEncoderStance, Manifest, _query_window, _result
from monitor.judge.cross_training import (
    RECIPE_V3,
    Example,
    Recipe,
    _Schedule,
    _train,
    predict,
)
from monitor.judge.embed import shared_embedder
from monitor.judge.match import phrasings
from monitor.judge.passages import MAX_CHARS, MAX_PASSAGES, body_passages
from monitor.judge.stance import StanceQuery
from monitor.settings import Settings
from monitor.types import ClaimSpec, StanceResult

# Per --fold-over: the desk sets every fold trains on (the folded set's other folds besides).
TRAINED_ALWAYS = {"main": (), "c": ("main",), "e": ("main", "c")}
FNC_OF = {
    "supports": "agree",
    "contradicts": "disagree",
    "mentions": "discuss",
    "unrelated": "unrelated",
}


def candidates(desk: Any) -> tuple[list[dict[str, Any]], list[reading.Candidate]]:
    embedder = shared_embedder(Settings().embedding_model)
    rows, found = [], []
    for item in desk.items:
        claim = desk.claims[item.claim_id]
        title = item.title[:MAX_CHARS]
        body = [p for p in body_passages(item.body) if p != title]
        passages = ([title] if title else []) + body[: MAX_PASSAGES - 1]
        pv = embedder.encode(passages)
        cv = embedder.encode(list(phrasings(ClaimSpec(key=claim.id, text=claim.text))))
        order = np.argsort(-(pv @ cv.T).max(axis=1), kind="stable")[:5]
        closest = tuple(passages[int(i)] for i in order)
        found.append(reading.Candidate(claim.text, item.title, item.body, tuple(passages), closest))
        rows.append({"item": item.id, "claim": claim.id, "gold": item.label})
    return rows, found


def read(
    probabilities: np.ndarray, found: list[reading.Candidate], bias: np.ndarray, how: Any
) -> list[dict[str, str]]:
    """Classifier alone and through the reading rules (news queries answered by the same
    network would need a second pass: the rules' other inputs stay)."""
    out = []
    for row, c in zip(probabilities, found, strict=True):
        query = StanceQuery(c.claim, c.closest, c.title, c.text)
        _, passages = _query_window(query, how)
        result: StanceResult = _result(query, row, passages, bias)
        reported = reading.reported_denials(c.claim, c.passages, c.closest)
        verdict, _ = reading.primary(c.claim, c.passages, result, None, reported)
        out.append({"model": result.stance.value, "primary": verdict.stance.value})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--final", type=Path, help="Train on every claim and save here instead.")
    parser.add_argument(
        "--replay",
        type=int,
        default=0,
        help="Also train on a seeded sample of this many examples of the FNC-1 claim split's "
        "train part (with the synthetic items), so the head keeps FNC-1's classes.",
    )
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets/fnc1"))
    parser.add_argument(
        "--fold-over",
        default="main",
        choices=sorted(TRAINED_ALWAYS),
        help="the desk set whose claims are folded: `main` (the first set alone), `c` "
        "(round 8: every first-set claim is always trained on, desk set C's claims are folded, "
        "so a fold reads C claims that neither it nor --compare has seen), or `e` (round 12: "
        "the first set and C always trained on, E's claims folded)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another cross-encoder folder read on the same pairs beside the base "
        "(round 8: stance-ce-v4, tuned on the first set, never on C; shipped until round 15, "
        "in the history: git show ea99a09:monitor/judge/models/stance-ce-v4/<file>)",
    )
    parser.add_argument(
        "--base",
        type=Path,
        default=None,
        help="the cross-encoder folder to tune: an FNC-1 model, never one already tuned on desk "
        "items (round 6 tuned stance-ce-v3, which `git show "
        "6d23b1b:monitor/judge/models/stance-ce-v3/<file>` restores; the shipped v4 is refused)",
    )
    args = parser.parse_args()
    import torch
    from transformers import BertForSequenceClassification  # noqa: F401

    torch.manual_seed(args.seed)
    rows, found = [], []
    for name in TRAINED_ALWAYS[args.fold_over]:
        more_rows, more_found = candidates(SETS[name]())
        rows, found = rows + more_rows, found + more_found
    always = set(range(len(rows)))  # rows every fold trains on and none reads
    folded_rows, folded_found = candidates(SETS[args.fold_over]())
    rows, found = rows + folded_rows, found + folded_found
    shipped = CrossEncoderStance(args.base) if args.base else CrossEncoderStance()
    if "tuned_on" in Manifest.read(shipped.directory).record:
        sys.exit(
            f"{shipped.directory.name} was tuned on desk items (the shipped cross-encoder on this "
            "very set): its folds would read claims it has seen. Pass --base with an FNC-1 "
            "model (stance-ce-v3: git show 6d23b1b:monitor/judge/models/stance-ce-v3/<file>)."
        )
    loaded = shipped._load()
    how = shipped.window
    texts = [_query_window(StanceQuery(c.claim, c.closest, c.title, c.text), how)[0] for c in found]
    examples = [
        Example(c.claim, t, CLASSES.index(FNC_OF[r["gold"]]), "desk")
        for r, c, t in zip(rows, found, texts, strict=True)
    ]
    recipe = Recipe(
        caps=RECIPE_V3.caps,
        epochs=args.epochs,
        window=how,
        learning_rate=args.lr,
        batch=16,
        name="desk",
    )
    replay: list[Example] = []
    if args.replay:
        from monitor.judge.cross_training import prepare

        pool = prepare(args.data, "claim", args.seed, recipe=recipe).train
        picked = np.random.RandomState(args.seed).permutation(len(pool))[: args.replay]
        replay = [pool[int(i)] for i in sorted(picked)]
        print(f"replaying {len(replay)} of {len(pool)} FNC-1 train-part examples", flush=True)
    claims = sorted({r["claim"] for n, r in enumerate(rows) if n not in always})
    rng = np.random.RandomState(args.seed)
    fold_of = {c: i % args.folds for i, c in enumerate(rng.permutation(claims))}
    fold_of.update({rows[n]["claim"]: -1 for n in always})
    base_probs = shipped.probabilities([(e.claim, e.text) for e in examples])
    compare_probs = (
        CrossEncoderStance(args.compare).probabilities([(e.claim, e.text) for e in examples])
        if args.compare
        else None
    )
    tuned_probs = np.zeros_like(base_probs)
    folds = [] if args.final else range(args.folds)
    for fold in folds:
        model = _fresh(loaded)
        train = [e for e, r in zip(examples, rows, strict=True) if fold_of[r["claim"]] != fold]
        train += replay
        test = [n for n, r in enumerate(rows) if fold_of[r["claim"]] == fold]
        started = time.time()
        steps = _Schedule(model, len(train), recipe)
        _train(
            model,
            loaded.tokenizer,
            train,
            steps,
            device="cpu",
            seed=args.seed + fold,
            recipe=recipe,
            checkpoint=None,
            log=print,
        )
        tuned_probs[test] = predict(model, loaded.tokenizer, [examples[n] for n in test], "cpu")
        print(
            f"fold {fold}: {len(train)} trained, {len(test)} read, {time.time() - started:.0f} s",
            flush=True,
        )
    if args.final:
        model = _fresh(loaded)
        examples = examples + replay
        steps = _Schedule(model, len(examples), recipe)
        _train(
            model,
            loaded.tokenizer,
            examples,
            steps,
            device="cpu",
            seed=args.seed,
            recipe=recipe,
            checkpoint=None,
            log=print,
        )
        torch.save({k: v.half() for k, v in model.state_dict().items()}, args.final)
        return
    read_rows = [n for n in range(len(rows)) if n not in always]
    rows = [rows[n] for n in read_rows]
    found = [found[n] for n in read_rows]
    result = {"rows": rows, "fold_of": fold_of, "args": {k: str(v) for k, v in vars(args).items()}}
    zero = np.zeros(len(CLASSES), np.float32)
    arms = [
        ("shipped", base_probs[read_rows], loaded.bias),
        ("tuned", tuned_probs[read_rows], zero),
        ("tuned_shipped_bias", tuned_probs[read_rows], loaded.bias),
    ]
    if compare_probs is not None:
        arms.append(("compare", compare_probs[read_rows], zero))
    for name, probs, bias in arms:
        result[name] = read(probs, found, bias, how)
        result[name + "_probs"] = probs.tolist()
    summary(result)  # first: the figures are printed even if the file cannot be written
    args.out.write_text(json.dumps(result, indent=1))


def _fresh(loaded: Any) -> Any:
    import copy

    model = copy.deepcopy(loaded.model)
    model.float().train()
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def summary(result: dict[str, Any]) -> None:
    rows = result["rows"]
    related = [n for n, r in enumerate(rows) if r["gold"] != "unrelated"]
    for name in ("shipped", "tuned", "tuned_shipped_bias", "compare"):
        if name not in result:
            continue
        for what in ("model", "primary"):
            got = [result[name][n][what] for n in related]
            gold = [rows[n]["gold"] for n in related]
            acc = np.mean([g == p for g, p in zip(gold, got, strict=True)])
            tp = sum(g == p == "contradicts" for g, p in zip(gold, got, strict=True))
            pp = sum(p == "contradicts" for p in got)
            gg = sum(g == "contradicts" for g in gold)
            print(
                f"{name:20s} {what:8s} stance acc {acc:.3f}  "
                f"contradicts R {tp / gg:.3f} P {tp / max(pp, 1):.3f}"
            )


if __name__ == "__main__":
    main()
