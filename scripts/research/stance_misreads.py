"""Where the shipped stance reading goes wrong on desk sets already read, by the claim's wording
(docs/stance-research.md, section 32).

    python scripts/research/stance_misreads.py [RESULT.json ...]

Each RESULT is a ``python -m bench desk --json`` output of a development set (default: the
shipped runs of rounds 23 to 26 in ``scripts/research/results/``). Its alerted related pairs
are tabulated, label against stance shown, separately for claims worded around a falsehood or
a negation ("was rigged", "rather than", "do not exist", "staged") and for the rest.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import deskset

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT = (
    "round23-m-candidate.json",
    "round24-n-shipped.json",
    "round25-o-shipped.json",
    "round26-p-shipped.json",
)
# A claim that is itself about a falsehood, a cover-up or a negation.
NEGATIVE = re.compile(
    r"\b(?:not|never|no|rather\s+than|false|fake|rigged|staged|hoax|fabricat\w*|falsif\w*|"
    r"manipulat\w*|hid|hidden|cover(?:ed)?[\s-]up|lied|did\s+not|does\s+not|doesn't|didn't|"
    r"undercount\w*|secretly|covert\w*|doctored|refused)\b",
    re.I,
)
LABELS = ("supports", "contradicts", "mentions")


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or [RESULTS / name for name in DEFAULT]
    table: Counter[tuple[bool, str, str]] = Counter()
    for path in paths:
        result = json.loads(path.read_text())
        desk = deskset.SETS[result["set"]]()
        items = {i.id: i for i in desk.items}
        for pair in result["tune"]["pairs"]:
            if not pair.get("alerted") or pair["label"] not in LABELS:
                continue
            claim = desk.claims[items[pair["item"]].claim_id].text
            table[(bool(NEGATIVE.search(claim)), pair["label"], pair["stance"])] += 1
    for negative in (False, True):
        print("claims worded around a falsehood or negation" if negative else "other claims")
        for label in LABELS:
            row = {shown: table[(negative, label, shown)] for shown in LABELS}
            total = sum(row.values())
            share = row[label] / total if total else 0.0
            print(f"  {label:12} read as {row}  right {share:.2f} of {total}")


if __name__ == "__main__":
    main(sys.argv[1:])
