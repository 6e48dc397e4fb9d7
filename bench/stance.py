"""Stance benchmark: quality and speed of `monitor stance predict` on the FNC-1 dev split.

    python -m bench stance [--data ../shared/datasets/fnc1] [--runs 3]

Writes the dev split (20% of Body IDs, the same split training holds out) to a temporary
directory, runs `monitor stance eval --json` and `monitor stance predict` as separate processes
(so peak RSS is the command's own), and prints scores, pairs per second (median of the runs)
and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitor.judge.fnc import read_bodies, read_pairs
from monitor.judge.training import split_bodies

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/datasets/fnc1"


def write_dev_split(data: Path, directory: Path) -> tuple[Path, Path, int]:
    pairs = read_pairs(data / "train_stances.csv")
    bodies = read_bodies(data / "train_bodies.csv")
    _, dev_ids = split_bodies(bodies)
    stances, texts = directory / "dev_stances.csv", directory / "dev_bodies.csv"
    dev_pairs = [p for p in pairs if p.body_id in dev_ids]
    with stances.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Headline", "Body ID", "Stance"])
        writer.writerows([p.headline, p.body_id, p.label] for p in dev_pairs)
    with texts.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Body ID", "articleBody"])
        writer.writerows([b, bodies[b]] for b in sorted(dev_ids))
    return stances, texts, len(dev_pairs)


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MiB) of the child, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) // 1024, result.stdout


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench stance")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    monitor = [sys.executable, "-m", "monitor", "stance"]
    with tempfile.TemporaryDirectory() as tmp:
        stances, bodies, count = write_dev_split(args.data, Path(tmp))
        files = ["--stances", str(stances), "--bodies", str(bodies)]
        _, _, report = timed([*monitor, "eval", *files, "--json"])
        scores = json.loads(report)
        runs = [
            timed([*monitor, "predict", *files, "--out", f"{tmp}/p.csv"]) for _ in range(args.runs)
        ]
    seconds = statistics.median(r[0] for r in runs)
    print(
        json.dumps(
            {
                "dev_pairs": count,
                "scores": scores,
                "predict_seconds_median": round(seconds, 1),
                "pairs_per_second": round(count / seconds, 1),
                "peak_rss_mib": max(r[1] for r in runs),
                "runs": args.runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
