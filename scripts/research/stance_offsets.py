"""Round 20's class offsets for the shipped cross-encoder (docs/stance-research.md, section 25).

    python scripts/research/stance_offsets.py OUT.json [--sets i j] [--model FOLDER]

Replays each desk set through the pipeline once (``python -m bench desk --set X
--stance-model <model>`` in this process, the default ONNX embedding backend, the relevance
decision as shipped), keeping every candidate the stance model read, the relatedness it was
read with, whether the relevance decision let it alert, and the model's class probabilities.
Then it reads those candidates again (``monitor.judge.reading.read_candidates``: the same
rules, the news read apart where a denial stands outside it) under each offset pair (agree,
disagree) added to the log-probabilities, discuss's fixed at 0, each in {-1.0, -0.75, ..., 1.0}.
Probabilities are cached by (claim, window), so only the few news windows a new offset asks for
run the network again.

The pair kept is the one with the highest stance accuracy over the alerted candidates labelled
supports, contradicts or mentions (one per claim and item: a wire copy counts once), ties to
the smallest |agree| + |disagree|. OUT.json holds every pair's figures and the one kept; run it
from the repository's root.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())

import numpy as np

import monitor.judge.cross as cross
import monitor.judge.reading as reading
import monitor.pipeline.judging as judging
from bench import desk as bench_desk
from bench.deskset import SETS
from monitor.types import Evidence

GRID = [round(-1.0 + 0.25 * n, 2) for n in range(9)]
RELATED = ("supports", "contradicts", "mentions")

_cache: dict[tuple[str, str], np.ndarray] = {}
_probabilities = cross.CrossEncoderStance.probabilities


def cached_probabilities(self: Any, pairs: Sequence[tuple[str, str]], progress: Any = iter) -> Any:
    """The network's probabilities, each (claim, window) pair run once per process."""
    missing = list(dict.fromkeys(p for p in pairs if p not in _cache))
    if missing:
        for pair, row in zip(missing, _probabilities(self, missing, progress), strict=True):
            _cache[pair] = row
    out = np.zeros((len(pairs), len(cross.CLASSES)), dtype=np.float32)
    for n, pair in enumerate(pairs):
        out[n] = _cache[pair]
    return out


class Recorder:
    """What one replay read: (candidate, relatedness, alerted) per read candidate."""

    def __init__(self) -> None:
        self.read: list[tuple[reading.Candidate, float, bool]] = []
        self._pending: dict[int, tuple[reading.Candidate, reading.Reading]] = {}
        self._originals = (reading.read_kept, judging.JudgingMixin._evidence)

    def install(self) -> None:
        original_kept, original_evidence = self._originals
        recorder = self

        def read_kept(classifier: Any, candidates: Any, keep: Any) -> Any:
            readings = original_kept(classifier, candidates, keep)
            for candidate, one in zip(candidates, readings, strict=True):
                if one is not None:
                    recorder._pending[id(one)] = (candidate, one)
            return readings

        def evidence(self: Any, claim: Any, item: Any, match: Any, read: Any) -> Any:
            result = original_evidence(self, claim, item, match, read)
            candidate, one = recorder._pending.pop(id(read))
            recorder.read.append((candidate, one.related, isinstance(result, Evidence)))
            return result

        reading.read_kept = read_kept  # type: ignore[assignment]
        judging.JudgingMixin._evidence = evidence  # type: ignore[method-assign]

    def uninstall(self) -> None:
        reading.read_kept, judging.JudgingMixin._evidence = self._originals  # type: ignore[method-assign]


def labels_of(name: str) -> dict[tuple[str, str], str]:
    desk = SETS[name]()
    return {(desk.claims[i.claim_id].text, i.title): i.label for i in desk.items}


def figures(
    stance: cross.CrossEncoderStance,
    runs: Sequence[tuple[dict[tuple[str, str], str], list[tuple[reading.Candidate, float, bool]]]],
) -> dict[str, Any]:
    """Stance accuracy and contradiction figures of ``stance`` (its current offsets) over the
    alerted, labelled-related candidates of every run."""
    right = total = said_contra = right_contra = labelled_contra = 0
    for labels, read in runs:
        seen: set[tuple[str, str]] = set()
        alerted = []
        for candidate, related, alert in read:
            key = (candidate.claim, candidate.title)
            if alert and key not in seen and labels.get(key) in RELATED:
                seen.add(key)
                alerted.append((candidate, related, labels[key]))
        results = reading.read_candidates(
            stance, [c for c, _, _ in alerted], [r for _, r, _ in alerted]
        )
        for (_, _, label), result in zip(alerted, results, strict=True):
            said = result.result.stance.value
            total += 1
            right += said == label
            labelled_contra += label == "contradicts"
            said_contra += said == "contradicts"
            right_contra += said == label == "contradicts"
    recall = right_contra / labelled_contra if labelled_contra else 0.0
    precision = right_contra / said_contra if said_contra else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {
        "pairs": total,
        "accuracy": round(right / total, 4) if total else 0.0,
        "contradiction_recall": round(recall, 4),
        "contradiction_precision": round(precision, 4),
        "contradiction_f1": round(f1, 4),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="stance_offsets.py")
    parser.add_argument("out", type=Path)
    parser.add_argument("--sets", nargs="+", default=["i", "j"])
    parser.add_argument("--model", default="crossencoder")
    args = parser.parse_args(argv)
    cross.CrossEncoderStance.probabilities = cached_probabilities  # type: ignore[method-assign]
    runs = []
    for name in args.sets:
        recorder = Recorder()
        recorder.install()
        replay = bench_desk.run({"set": name, "stance_model": args.model, "backend": None})
        print(name, json.dumps(replay["tune"]["stance"]), flush=True)
        runs.append((labels_of(name), recorder.read))
        recorder.uninstall()  # before the next set's recorder installs its own
    directory = cross.MODEL_DIR if args.model == "crossencoder" else Path(args.model)
    stance = cross.CrossEncoderStance(directory)
    loaded = stance._load()
    grid = []
    for agree in GRID:
        for disagree in GRID:
            loaded.bias = np.asarray([0.0, 0.0, agree, disagree], np.float32)
            grid.append({"agree": agree, "disagree": disagree, **figures(stance, runs)})
    best = max(grid, key=lambda g: (g["accuracy"], -(abs(g["agree"]) + abs(g["disagree"]))))
    zero = next(g for g in grid if g["agree"] == 0 and g["disagree"] == 0)
    args.out.write_text(
        json.dumps({"sets": args.sets, "zero": zero, "kept": best, "grid": grid}, indent=1) + "\n"
    )
    print("zero", json.dumps(zero))
    print("kept", json.dumps(best))


if __name__ == "__main__":
    main(sys.argv[1:])
