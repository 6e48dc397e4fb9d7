"""Train one cross-encoder variant on the CPU and score it (docs/stance-research.md, section 7).

    PYTHONPATH=. python scripts/research/stance_variant.py OUT_DIR [--plain] [--by claim|body]
        [--data ../shared/datasets/fnc1]

Writes the model to OUT_DIR (its manifest holds the validation and report figures), then
scores the classifier alone on the desk set's items, as ``python -m bench stance --desk
--model crossencoder-alone`` does for the shipped model. ``--plain`` leaves out the synthetic
items (the ablation in section 7). Checkpoints to OUT_DIR-ckpt, so a run started again resumes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.deskset import load
from bench.stance import _desk_scores
from monitor.judge.cross import CrossEncoderStance
from monitor.judge.cross_training import RECIPE_V1, fit, prepare
from monitor.judge.embed import resolve_model
from monitor.judge.stance import StanceQuery


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--plain", action="store_true", help="No synthetic items.")
    parser.add_argument("--by", default="claim", choices=["claim", "body"])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets/fnc1"))
    args = parser.parse_args()
    prepared = prepare(args.data, args.by, synthetic=not args.plain, recipe=RECIPE_V1)
    base = Path(resolve_model("all-MiniLM-L6-v2"))
    checkpoint = args.out.with_name(args.out.name + "-ckpt")
    fit(
        prepared,
        base,
        args.out,
        checkpoint=checkpoint,
        log=lambda line: print(time.strftime("%H:%M:%S"), line, flush=True),
    )
    deskset, model = load(), CrossEncoderStance(args.out)
    for split in ("report", "tune"):
        items = deskset.split(split)
        claims = [deskset.claims[i.claim_id].text for i in items]
        results = model.classify(
            [StanceQuery(c, (), i.title, i.body) for c, i in zip(claims, items, strict=True)]
        )
        predicted = [r.stance.value if r.related >= 0.5 else "unrelated" for r in results]
        print(split, json.dumps(_desk_scores([i.label for i in items], predicted)))


if __name__ == "__main__":
    main()
