"""Train cross-encoder stance variants on a GPU and bring back the two best and every figure.

    python scripts/research/stance_gpu.py --data FNC1_DIR --base BASE_DIR --out OUT [--budget S]

Round 5 (docs/stance-research.md): what v1's CPU-bound recipe left out. Every variant trains
all 6 layers on the FNC-1 claim split (train part only), tunes the class offsets on the
validation claims and scores the report claims once. Variants, in order of need, each started
only while ``--budget`` seconds have not passed:

1. ``full128``: three epochs over the whole train part (unrelated pairs capped at 8,000) and
   every synthetic item, 128 tokens (100 words of window), batch 32;
2. ``full64``: the same at v1's 64 tokens (what the longer window buys);
3. ``full128-syn80``: twice as many synthetic items per claim (does more denial help?);
4. ``v1``: v1's recipe (one capped epoch, 64 tokens, batch 16) on this machine, for scale;
5. ``full192``: 192 tokens (where the length curve goes; too slow for two CPU cores);

then, in a second run, ``full128`` with seeds 14 and 15 (how much is the seed), one and two
epochs and a lower learning rate, and in a third, windows that also choose passages carrying a
word that takes a position (``cue_weight`` 1.5 and 3; FNC-1's debunking bodies often say
"hoax" in a sentence that shares no word with the claim). Each run's figures are in
``scripts/research/results/``.

The choice between variants is made on **validation** only. Weights of the two best by
validation macro-F1 come back without the word embeddings (frozen in training, so equal to
the base's), as float16 files of at most 15 MB; ``results.json`` holds every variant's recipe
and figures. ``stance_assemble.py`` rebuilds a model directory from them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from safetensors.torch import save_file

from monitor.judge.cross import Window
from monitor.judge.cross_training import RECIPE_V1, RECIPE_V3, Prepared, Recipe, fit, prepare
from monitor.judge.splits import SEED

LIMIT = 15_000_000
KEEP = 2
# "full": v3's recipe without the cue weight (the third run added it; v3 is its winner)
FULL = replace(RECIPE_V3, window=Window(tokens=128, words=100), name="")
VARIANTS: list[tuple[str, Recipe]] = [
    ("full128", FULL),
    ("full64", replace(FULL, window=Window(tokens=64, words=50))),
    ("full128-syn80", replace(FULL, synthetic_per_claim=80)),
    ("v1", RECIPE_V1),
    ("full192", replace(FULL, window=Window(tokens=192, words=150))),
    # second run: how much of full128 is the seed, and does it overfit the training claims?
    ("full128-e1", replace(FULL, epochs=1)),
    ("full128-e2", replace(FULL, epochs=2)),
    ("full128-lr2e5", replace(FULL, learning_rate=2e-5)),
    ("full128-s14", FULL),
    ("full128-s15", FULL),
    # third run: passages that take a position (denied, hoax, confirmed) chosen into the window
    ("full128-cue1.5", replace(FULL, window=Window(tokens=128, words=100, cue_weight=1.5))),
    ("full128-cue3", replace(FULL, window=Window(tokens=128, words=100, cue_weight=3.0))),
]
SEEDS = {"full128-s14": 14, "full128-s15": 15}


def export(model: Any, out: Path, name: str) -> list[str]:
    """Non-embedding tensors as float16, in files of at most LIMIT bytes."""
    state = {
        k: v.detach().to("cpu").half().contiguous()
        for k, v in model.state_dict().items()
        if not k.endswith(("position_ids", "word_embeddings.weight"))
    }
    files: list[dict[str, Any]] = []
    chunk: dict[str, Any] = {}
    size = 0
    for key in sorted(state):
        nbytes = state[key].numel() * 2
        if chunk and size + nbytes > LIMIT:
            files.append(chunk)
            chunk, size = {}, 0
        chunk[key], size = state[key], size + nbytes
    files.append(chunk)
    names = []
    for i, part in enumerate(files):
        path = out / f"{name}_{i}.safetensors"
        save_file(part, str(path))
        names.append(path.name)
    return names


def keep_best(results: dict[str, dict[str, Any]], out: Path) -> None:
    """Delete the weights of all but the KEEP best variants by validation macro-F1."""
    ranked = sorted(
        (n for n in results if results[n].get("files")),
        key=lambda n: -float(results[n]["validation"]["macro_f1"]),
    )
    for name in ranked[KEEP:]:
        for file in results[name].pop("files"):
            (out / file).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=420.0)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    prepared: dict[tuple[Window, int], Prepared] = {}
    for name, recipe in VARIANTS:
        if args.only is not None and name not in args.only:
            continue
        elapsed = time.perf_counter() - started
        if elapsed > args.budget:
            print(f"skip {name}: {elapsed:.0f} s spent", flush=True)
            continue
        print(f"== {name} ({elapsed:.0f} s)", flush=True)
        key = (recipe.window, recipe.synthetic_per_claim)
        if key not in prepared or prepared[key].recipe.caps != recipe.caps:
            prepared[key] = prepare(args.data, "claim", limit=args.limit, recipe=recipe)
        data = replace(prepared[key], recipe=recipe)
        report = fit(
            data,
            args.base,
            None,
            device=args.device,
            seed=SEEDS.get(name, SEED),
            log=lambda line: print(line, flush=True),
        )
        results[name] = {
            "recipe": recipe.as_dict(),
            "seed": SEEDS.get(name, SEED),
            "seconds": round(report.seconds, 1),
            "examples": report.examples,
            "bias": [round(float(b), 4) for b in report.bias],
            "validation": report.validation.as_dict(),
            "report": report.report.as_dict(),
            "files": export(report.model, args.out, name),
        }
        keep_best(results, args.out)
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
