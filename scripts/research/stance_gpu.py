"""Train the cross-encoder stance variants on a GPU and bring back weights and figures.

Used once on the borrowed H200 (docs/stance-research.md, round 3). Variants, in order of need,
each started only while ``--budget`` seconds have not passed:

1. ``m6``: 6 layers, claim split, synthetic items (the candidate to ship);
2. ``m4``: the same with the first 4 layers (faster on the CPU);
3. ``m6-plain``: 6 layers, claim split, no synthetic items (what augmentation adds);
4. ``m6-body`` / ``m4-body``: the body split (reported second).

Weights come back without the word embeddings (frozen in training, so equal to the base's),
in float16 files of at most 15 MB; ``results.json`` holds every variant's manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from safetensors.torch import save_file

from monitor.judge.cross_training import fit, prepare

LIMIT = 15_000_000


def export(model: object, out: Path, name: str) -> list[str]:
    """Non-embedding tensors as float16, in files of at most LIMIT bytes."""
    state = {
        k: v.detach().to("cpu").half().contiguous()
        for k, v in model.state_dict().items()  # type: ignore[attr-defined]
        if not k.endswith(("position_ids", "word_embeddings.weight"))
    }
    files, chunk, size = [], {}, 0
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=330.0)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, object] = {}
    variants = [
        ("m6", "claim", True, 6, True),
        ("m4", "claim", True, 4, True),
        ("m6-plain", "claim", False, 6, False),
        ("m6-body", "body", True, 6, False),
        ("m4-body", "body", True, 4, False),
    ]
    prepared = {}
    for name, by, synthetic, layers, keep in variants:
        elapsed = time.perf_counter() - started
        if elapsed > args.budget:
            print(f"skip {name}: {elapsed:.0f} s spent", flush=True)
            continue
        key = (by, synthetic)
        if key not in prepared and (by, True) in prepared and not synthetic:
            full = prepared[(by, True)]
            plain = [e for e in full.train if e.source == "fnc"]
            prepared[key] = replace(full, train=plain)
        if key not in prepared:
            prepared[key] = prepare(args.data, by, synthetic=synthetic, limit=args.limit)
        print(f"== {name} ({elapsed:.0f} s)", flush=True)
        report = fit(
            prepared[key],
            args.base,
            None,
            device=args.device,
            layers=layers,
            log=lambda line: print(line, flush=True),
        )
        entry: dict[str, object] = {
            "epoch": report.epoch,
            "seconds": round(report.seconds, 1),
            "examples": report.examples,
            "validation": report.validation.as_dict(),
            "report": report.report.as_dict(),
        }
        if keep:
            entry["files"] = export(report.model, args.out, name)
        results[name] = entry
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
