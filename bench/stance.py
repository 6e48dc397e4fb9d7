"""Stance benchmark: quality on claims never trained on, speed and memory of `stance predict`.

    python -m bench stance [--data ../shared/datasets/fnc1] [--runs 3] [--speed-pairs 800]
                           [--model crossencoder|builtin|crossencoder-alone] [--body]
                           [--skip-eval] [--desk [--set main|holdout]]

Quality: `monitor stance eval --json` on the report part of the FNC-1 train split by claim
(claims held out from training and tuning; monitor/judge/splits.py), and with --body on the
older split by Body ID as well. Speed: `monitor stance predict` on a seeded sample of
--speed-pairs report pairs, --runs times as separate processes (so peak RSS is the command's
own): median pairs per second and the largest peak RSS. Then, in this process, where the time
of one predict goes (windows, tokenizer, network). With --desk, the classifier alone on the
desk set's items (``bench/deskset/``, report claims; tune claims shown apart): each item's
title and body against its claim, as the pipeline asks (``python -m bench desk`` measures the
whole pipeline); ``--set holdout`` reads desk set B instead (every claim reported on).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.deskset import SETS
from monitor.judge.fnc import Pair, read_bodies, read_pairs
from monitor.judge.splits import split_bodies, split_by_claim

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/datasets/fnc1"


def write_pairs(
    pairs: Sequence[Pair], bodies: dict[str, str], directory: Path, name: str
) -> list[str]:
    """FNC-1 files for ``pairs``; returns the command-line options that name them."""
    stances, texts = directory / f"{name}_stances.csv", directory / f"{name}_bodies.csv"
    with stances.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Headline", "Body ID", "Stance"])
        writer.writerows([p.headline, p.body_id, p.label] for p in pairs)
    with texts.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Body ID", "articleBody"])
        writer.writerows([b, bodies[b]] for b in sorted({p.body_id for p in pairs}))
    return ["--stances", str(stances), "--bodies", str(texts)]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MiB) of the child, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) // 1024, result.stdout


def breakdown(pairs: Sequence[Pair], bodies: dict[str, str]) -> dict[str, float]:
    """Seconds spent on each step of the cross-encoder's predict, in this process."""
    from monitor.judge.cross import BATCH, CrossEncoderStance, _forward, body_window

    model = CrossEncoderStance()
    start = time.perf_counter()
    loaded = model._load()
    load = time.perf_counter() - start
    start = time.perf_counter()
    how = model.window
    inputs = [(p.headline, body_window(p.headline, bodies[p.body_id], how=how)[0]) for p in pairs]
    windows = time.perf_counter() - start
    start = time.perf_counter()
    encoded = loaded.tokenizer.encode_batch(inputs)
    tokens = time.perf_counter() - start
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
    start = time.perf_counter()
    with loaded.torch.inference_mode():
        for i in range(0, len(order), BATCH):
            _forward(loaded, [encoded[j] for j in order[i : i + BATCH]])
    network = time.perf_counter() - start
    return {
        "load_s": round(load, 2),
        "windows_s": round(windows, 2),
        "tokenizer_s": round(tokens, 2),
        "network_s": round(network, 2),
        "mean_tokens": round(float(np.mean([len(e.ids) for e in encoded])), 1),
        "pairs": len(pairs),
    }


def desk(model_name: str, set_name: str = "main") -> dict[str, object]:
    """Stance of each desk-set item towards its claim, scored per split (related at p >= 0.5)."""
    from monitor.app import make_stance
    from monitor.judge.embed import shared_embedder
    from monitor.judge.stance import StanceClassifier, StanceQuery
    from monitor.settings import load_settings

    deskset = SETS[set_name]()
    if model_name == "crossencoder-alone":  # without the feature model's relatedness
        from monitor.judge.cross import CrossEncoderStance

        classifier: StanceClassifier = CrossEncoderStance()
    else:
        settings = load_settings(stance_model=model_name)
        classifier = make_stance(settings, shared_embedder("all-MiniLM-L6-v2"))
    out: dict[str, object] = {}
    for split in ("report", "tune"):
        items = deskset.split(split)
        if not items:
            continue
        queries = [StanceQuery(deskset.claims[i.claim_id].text, (), i.title, i.body) for i in items]
        started = time.perf_counter()
        results = classifier.classify(queries)
        seconds = time.perf_counter() - started
        predicted = [r.stance.value if r.related >= 0.5 else "unrelated" for r in results]
        out[split] = _desk_scores([i.label for i in items], predicted) | {
            "seconds": round(seconds, 1)
        }
    return out


def _desk_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, object]:
    labels = ("supports", "contradicts", "mentions", "unrelated")
    per_class = {}
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        called, present = predicted.count(label), gold.count(label)
        precision = tp / called if called else 0.0
        recall = tp / present if present else 0.0
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        per_class[label] = {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "n": present,
        }
    related = [(g, p) for g, p in zip(gold, predicted, strict=True) if g != "unrelated"]
    return {
        "pairs": len(gold),
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 3),
        "stance_accuracy_on_related": round(sum(g == p for g, p in related) / len(related), 3),
        "classes": per_class,
        "confusion": {
            g: {
                p: sum(1 for x, y in zip(gold, predicted, strict=True) if x == g and y == p)
                for p in labels
            }
            for g in labels
        },
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench stance")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--speed-pairs", type=int, default=800)
    parser.add_argument(
        "--model", default="crossencoder", choices=["crossencoder", "builtin", "crossencoder-alone"]
    )
    parser.add_argument("--body", action="store_true", help="Also score the split by body.")
    parser.add_argument("--skip-eval", action="store_true", help="Speed and memory only.")
    parser.add_argument("--desk", action="store_true", help="Only the desk set, in process.")
    parser.add_argument("--set", choices=sorted(SETS), default="main", help="With --desk.")
    args = parser.parse_args(argv)
    if args.desk:
        figures = desk(args.model, args.set)
        print(json.dumps({"model": args.model, "set": args.set, **figures}, indent=2))
        return
    env = {**os.environ, "MONITOR_STANCE_MODEL": args.model}
    pairs = [p for p in read_pairs(args.data / "train_stances.csv") if p.label is not None]
    bodies = read_bodies(args.data / "train_bodies.csv")
    report = split_by_claim(pairs).report
    rows = np.random.RandomState(0).permutation(len(report))[: args.speed_pairs]
    sample = [report[i] for i in sorted(rows)]
    monitor = [sys.executable, "-m", "monitor", "stance"]
    out: dict[str, object] = {"model": args.model, "report_pairs": len(report)}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_eval:
            files = write_pairs(report, bodies, Path(tmp), "report")
            out["report"] = json.loads(timed([*monitor, "eval", *files, "--json"], env)[2])
        if args.body:
            _, dev_ids = split_bodies(bodies)
            dev = [p for p in pairs if p.body_id in dev_ids]
            files = write_pairs(dev, bodies, Path(tmp), "body")
            out["body"] = json.loads(timed([*monitor, "eval", *files, "--json"], env)[2])
        files = write_pairs(sample, bodies, Path(tmp), "speed")
        predict = [*monitor, "predict", *files, "--out", f"{tmp}/p.csv"]
        runs = [timed(predict, env) for _ in range(args.runs)]
    seconds = statistics.median(r[0] for r in runs)
    out |= {
        "speed_pairs": len(sample),
        "predict_seconds": [round(r[0], 1) for r in runs],
        "pairs_per_second": round(len(sample) / seconds, 1),
        "peak_rss_mib": max(r[1] for r in runs),
        "load_average": os.getloadavg()[0],
    }
    if args.model == "crossencoder":
        out["breakdown"] = breakdown(sample, bodies)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
