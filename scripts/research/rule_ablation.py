"""Round 17's ablation of the rules that can turn a reading into a contradiction
(docs/stance-research.md, section 22): one rule replaced, then one desk-set replay.

    python scripts/research/rule_ablation.py VARIANT SET OUT.json

VARIANT: ``shipped`` (no change); ``off`` (no cross-encoder denial override,
``monitor.judge.builtin.denial``); ``explicit`` (the override only for explicit denials:
"denied", "rejected", "baseless", "no evidence", "false", not a bare "was not" or "never");
``nonews`` (no news-denial rule, ``monitor.judge.reading.news_denial``); ``noneg`` (the
news-denial rule without its negation-on-the-record half). SET: a development desk set
(``f``, ``g``, ``h``, ...). Runs ``python -m bench desk --stance-model crossencoder --backend
torch`` in this process, so the replacement holds; run it from the repository's root.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

sys.path.insert(0, os.getcwd())

import monitor.judge.builtin as builtin
import monitor.judge.reading as reading

VARIANTS = ("shipped", "off", "explicit", "nonews", "noneg")
EXPLICIT = re.compile(
    r"\b(den(?:y|ies|ied|ying)|reject(?:s|ed)?|refut(?:e|es|ed)|baseless|groundless|unfounded|"
    r"no evidence|not true|untrue|false|fabricat\w+)\b",
    re.IGNORECASE,
)


def explicit_denial(query: Any) -> str | None:
    if builtin._DENIAL.search(query.claim):
        return None
    return next((p for p in query.passages[:2] if EXPLICIT.search(p)), None)


def apply(variant: str) -> None:
    if variant == "off":
        builtin.denial = lambda query: None
    elif variant == "explicit":
        builtin.denial = explicit_denial
    elif variant == "nonews":
        reading.news_denial = lambda claim, passages: None
    elif variant == "noneg":
        reading._negated_on_record = lambda passage: []


if __name__ == "__main__":
    # The feed parser's worker processes import this module again: only the parent replays.
    if len(sys.argv) != 4 or sys.argv[1] not in VARIANTS:
        sys.exit(__doc__)
    variant, desk_set, out = sys.argv[1:]
    apply(variant)
    from bench.desk import main

    main(["--set", desk_set, "--stance-model", "crossencoder", "--backend", "torch", "--json", out])
