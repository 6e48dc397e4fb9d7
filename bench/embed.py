"""Embedding backends: speed, start, memory, agreement and stance quality of torch / onnx / int8.

    python -m bench embed [--data ../shared/datasets/fnc1] [--reps 5] [--no-stance]

Texts come from the FNC-1 dev split (the bodies stance training holds out): headlines (short
claims), passages cut from the bodies as the pipeline cuts items, and whole bodies (the model
reads their first 256 word pieces).

- Speed: every repetition encodes the same texts with each backend in turn, in one process, the
  order rotating, so background load falls on all of them alike; medians of the repetitions,
  and the median of each repetition's ratio to torch. Tokens are word pieces the model reads
  (after truncation, without padding).
- Start and memory: each backend in a fresh process, embedding 64 passages: wall seconds
  (interpreter start included) and peak RSS; for onnx also the first start, which exports the
  model (and for onnx-int8 the first start that quantizes the cached fp32 export).
- Agreement: cosine of each backend's vectors to torch's, on every text above.
- Stance: the shipped stance model on the whole dev split with each backend's embeddings. The
  int8 run passes the weights in directly, past the check that the embedding model key matches:
  this run is what decides whether int8 embeddings may feed the stance model.
"""

from __future__ import annotations

import argparse
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
from typing import Any

import numpy as np

from monitor.judge.embed import Embedder, OnnxEmbedder, SentenceTransformerEmbedder
from monitor.judge.fnc import Pair, read_bodies, read_pairs, score
from monitor.judge.passages import body_passages
from monitor.judge.training import split_bodies

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/datasets/fnc1"
MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")


def embedder(backend: str, cache: Path) -> Embedder:
    if backend == "torch":
        return SentenceTransformerEmbedder(MODEL)
    return OnnxEmbedder(MODEL, cache, quantized=backend == "onnx-int8")


def dev_split(data: Path) -> tuple[list[Pair], dict[str, str]]:
    pairs = read_pairs(data / "train_stances.csv")
    bodies = read_bodies(data / "train_bodies.csv")
    _, dev_ids = split_bodies(bodies)
    return [p for p in pairs if p.body_id in dev_ids], {b: bodies[b] for b in sorted(dev_ids)}


def spread(texts: Sequence[str], count: int) -> list[str]:
    """``count`` texts taken evenly from ``texts`` in length order (short and long alike)."""
    ordered = sorted(set(texts), key=lambda t: (len(t), t))
    step = max(1, len(ordered) // count)
    return ordered[::step][:count]


def workloads(pairs: list[Pair], bodies: dict[str, str]) -> dict[str, list[str]]:
    passages = [p for text in bodies.values() for p in body_passages(text)]
    return {
        "headlines": spread([p.headline for p in pairs], 320),
        "passages": spread(passages, 320),
        "bodies": list(bodies.values())[:32],
    }


def word_pieces(texts: Sequence[str], cache: Path) -> int:
    """Word pieces the model reads for ``texts`` (truncated, no padding)."""
    from monitor.judge.onnx_model import OnnxModel

    (entry,) = {p.parent for p in cache.glob("*/model.onnx")}
    return sum(OnnxModel(entry).word_pieces(texts))


def timings(
    embedders: dict[str, Embedder], texts: dict[str, list[str]], reps: int
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, np.ndarray]]]:
    """Seconds per repetition, backend and workload; the vectors of the first repetition."""
    seconds: dict[str, dict[str, list[float]]] = {b: {w: [] for w in texts} for b in embedders}
    vectors: dict[str, dict[str, np.ndarray]] = {b: {} for b in embedders}
    names = list(embedders)
    for rep in range(reps):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for workload, batch in texts.items():
            for backend in order:
                time.sleep(0.2)  # let the other runtime's spinning threads go idle
                start = time.perf_counter()
                out = embedders[backend].encode(batch)
                seconds[backend][workload].append(time.perf_counter() - start)
                vectors[backend].setdefault(workload, out)
        print(f"repetition {rep + 1}/{reps} done", file=sys.stderr)
    return seconds, vectors


def speed_report(
    seconds: dict[str, dict[str, list[float]]], texts: dict[str, list[str]], cache: Path
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for workload, batch in texts.items():
        pieces = word_pieces(batch, cache)
        torch = seconds["torch"][workload]
        report[workload] = {"texts": len(batch), "word_pieces": pieces}
        for backend, per_workload in seconds.items():
            runs = per_workload[workload]
            median = statistics.median(runs)
            report[workload][backend] = {
                "seconds_median": round(median, 3),
                "texts_per_s": round(len(batch) / median, 1),
                "word_pieces_per_s": round(pieces / median),
                "speedup_vs_torch": round(
                    statistics.median(t / r for t, r in zip(torch, runs, strict=True)), 3
                ),
            }
    return report


def agreement(vectors: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for backend in vectors:
        if backend == "torch":
            continue
        cos = np.concatenate(
            [np.sum(v * vectors["torch"][w], axis=1) for w, v in vectors[backend].items()]
        )
        report[backend] = {
            "texts": int(cos.size),
            "cosine_mean": round(float(cos.mean()), 6),
            "cosine_min": round(float(cos.min()), 6),
            "share_below_0_99": round(float((cos < 0.99).mean()), 4),
        }
    return report


def stance_quality(
    embedders: dict[str, Embedder], pairs: list[Pair], bodies: dict[str, str]
) -> dict[str, Any]:
    from monitor.judge.builtin import BuiltinStance, StanceWeights

    weights = StanceWeights.load()
    gold = [str(p.label) for p in pairs]
    ids = [(p.headline, p.body_id) for p in pairs]
    report: dict[str, Any] = {}
    labels_of: dict[str, list[str]] = {}
    for backend, model in embedders.items():
        start = time.perf_counter()
        labels_of[backend] = BuiltinStance(model, weights).predict_fnc(ids, bodies)
        scores = score(gold, labels_of[backend])
        same = sum(a == b for a, b in zip(labels_of[backend], labels_of["torch"], strict=True))
        report[backend] = {
            "fnc_relative": round(scores.relative, 4),
            "macro_f1": round(scores.macro_f1, 4),
            "f1": {k: round(v, 4) for k, v in scores.f1.items()},
            "labels_as_torch": round(same / len(pairs), 4),
            "seconds": round(time.perf_counter() - start, 1),
        }
        print(f"stance with {backend} done", file=sys.stderr)
    return report


def start_and_memory(cache: Path, texts: list[str]) -> dict[str, Any]:
    """Each backend in a fresh process: wall seconds to its first vectors, and peak RSS."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(texts, file)
    runs = [("onnx", "first start (exports)"), ("onnx-int8", "first start (quantizes)")]
    runs += [(b, "warm") for b in BACKENDS]
    report: dict[str, Any] = {}
    try:
        for backend, label in runs:
            command = [sys.executable, "-m", "bench", "embed", "--child", backend]
            start = time.perf_counter()
            result = subprocess.run(
                [*command, "--cache", str(cache), "--texts", file.name],
                capture_output=True,
                text=True,
                check=True,
            )
            child = json.loads(result.stdout)
            report.setdefault(backend, {})[label] = {
                "wall_seconds": round(time.perf_counter() - start, 2),
                "peak_rss_mib": child["peak_rss_mib"],
            }
    finally:
        os.unlink(file.name)
    return report


def child(backend: str, cache: Path, texts_file: Path) -> None:
    texts = json.loads(texts_file.read_text())
    embedder(backend, cache).encode(texts)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"peak_rss_mib": peak}))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench embed")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-stance", action="store_true", help="Skip the stance quality runs.")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.cache, args.texts)
        return
    pairs, bodies = dev_split(args.data)
    texts = workloads(pairs, bodies)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        start = start_and_memory(cache, texts["passages"][::5][:64])
        embedders = {b: embedder(b, cache) for b in BACKENDS}
        for model in embedders.values():
            model.encode(["warm up"])
        seconds, vectors = timings(embedders, texts, args.reps)
        result: dict[str, Any] = {
            "load_average_before": [round(x, 2) for x in load_before],
            "threads": {"torch": _torch_threads(), "onnx": _onnx_threads()},
            "speed": speed_report(seconds, texts, cache),
            "agreement_with_torch": agreement(vectors),
            "start_and_memory": start,
            "reps": args.reps,
        }
        if not args.no_stance:
            result["stance_dev_split"] = stance_quality(embedders, pairs, bodies)
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


def _torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def _onnx_threads() -> int:
    from monitor.judge.onnx_model import available_cores

    return available_cores()


if __name__ == "__main__":
    main(sys.argv[1:])
