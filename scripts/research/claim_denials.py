"""Denials in a claim's own phrasings: does the relevance decision find more? Round 14
(docs/stance-research.md, section 19).

    python scripts/research/claim_denials.py OUT.json --set e|c|main \\
        [--template "There is no evidence that {c}." ...]

Replays the desk set through the pipeline (``python -m bench desk --calibrate``, the shipped
models) with each claim's phrasings (``monitor.judge.match.phrasings``: the claim, its
paraphrases, their country-name rewrites) extended by the templates filled with the claim's
text, and decides every recorded candidate with the shipped relevance weights at the default
threshold (``monitor.judge.relevance.BUILTIN``, 0.6). Without a template it reads today's
decision. Printed, and written to OUT.json with every candidate: relevance recall (over every
labelled related pair of the set, candidates or not), precision (over every kept candidate, an
item kept for a claim not its own counting against it), F1, contradictions kept, and the
recall of the alerts and the near misses together.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import desk
from bench.deskset import SETS
from monitor.judge import match
from monitor.judge.relevance import BUILTIN
from monitor.pipeline import judging
from monitor.types import ClaimSpec

THRESHOLD = 0.6
SHIPPED = match.phrasings


def with_templates(templates: Sequence[str]) -> None:
    """Every claim's phrasings, then its text in each template (in the matcher and the
    pipeline that embeds the phrasings)."""

    def phrasings(spec: ClaimSpec) -> tuple[str, ...]:
        text = spec.text.rstrip(". ")
        return tuple(dict.fromkeys([*SHIPPED(spec), *(t.format(c=text) for t in templates)]))

    match.phrasings = phrasings
    judging.phrasings = phrasings  # type: ignore[attr-defined]


def figures(set_name: str, candidates: Sequence[dict[str, Any]]) -> dict[str, Any]:
    items = SETS[set_name]().items
    related = sum(i.label != "unrelated" for i in items)
    contradictions = sum(i.label == "contradicts" for i in items)

    def right(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [c for c in kept if c["own_claim"] and c["label"] != "unrelated"]

    args = [(c["similarity"], c["related"], THRESHOLD, c["margin"]) for c in candidates]
    alerts = [c for c, a in zip(candidates, args, strict=True) if BUILTIN.bears_on(*a)]
    near = [c for c, a in zip(candidates, args, strict=True) if BUILTIN.near_miss(*a)]
    recall = len(right(alerts)) / related
    precision = len(right(alerts)) / max(len(alerts), 1)
    return {
        "related_pairs": related,
        "alerts": len(alerts),
        "recall": round(recall, 3),
        "precision": round(precision, 3),
        "f1": round(2 * recall * precision / (recall + precision), 3) if alerts else 0.0,
        "contradictions_kept": f"{sum(c['label'] == 'contradicts' for c in right(alerts))}"
        f" of {contradictions}",
        "near_misses": len(near),
        "recall_with_near_misses": round(len(right(alerts + near)) / related, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--set", default="e", choices=["main", "c", "e"])
    parser.add_argument("--template", action="append", default=[])
    args = parser.parse_args()
    with_templates(args.template)
    with tempfile.TemporaryDirectory() as scratch:
        replay = Path(scratch) / "replay.json"
        desk.main(["--set", args.set, "--calibrate", "--json", str(replay)])
        candidates = json.loads(replay.read_text())["candidates"]
    result = {"set": args.set, "templates": args.template, **figures(args.set, candidates)}
    print(json.dumps(result, indent=2))
    args.out.write_text(json.dumps({**result, "candidates": candidates}, indent=1))


if __name__ == "__main__":
    main()
