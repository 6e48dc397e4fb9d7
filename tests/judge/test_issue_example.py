"""The issue's example with the real model and the default stance model, as the pipeline
decides: reporting in other words matches, a denial by the accused matches as a contradiction
held by the denier, unrelated news does not."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from monitor.judge.builtin import BuiltinStance
from monitor.judge.match import ClaimIndex, best_matches, phrasings
from monitor.judge.passages import passages
from monitor.judge.reading import Candidate, read_candidates
from monitor.judge.relevance import CALIBRATED
from monitor.types import Claim, ClaimSpec, Item, Stance

CLAIM = Claim(
    1, "d", ClaimSpec("shells", "North Korea is supplying artillery shells to Russia"), 0.6
)
ITEMS = {
    "other words": (
        "Seoul: Pyongyang has shipped a million shells to Moscow",
        "Pyongyang has sent more than a million rounds of artillery ammunition to Moscow since "
        "August, South Korea's spy agency told lawmakers on Wednesday.",
    ),
    "denial": (
        "Pyongyang rejects arms accusations",
        "North Korea's foreign ministry on Friday denied that it had sent any weapons or "
        "ammunition to Russia, calling the US accusations absurd.",
    ),
    "unrelated": (
        "Central bank holds rates steady",
        "The central bank left its key interest rate unchanged on Thursday, saying inflation "
        "was easing but remained above target.",
    ),
}


@pytest.mark.model
def test_other_words_and_a_denial_are_evidence_and_unrelated_news_is_not(real_embedder) -> None:  # type: ignore[no-untyped-def]
    items = {
        name: Item(n, 1, name, "u", title, body, None, datetime(2026, 1, 1, tzinfo=UTC))
        for n, (name, (title, body)) in enumerate(ITEMS.items())
    }
    texts = {name: passages(item) for name, item in items.items()}
    distinct = list(
        dict.fromkeys([p for g in texts.values() for p in g] + list(phrasings(CLAIM.spec)))
    )
    vector_of = dict(zip(distinct, real_embedder.encode(distinct), strict=True))
    index = ClaimIndex.build([CLAIM], vector_of)
    decided = {}
    for name, item in items.items():
        group = texts[name]
        matrix = np.stack([vector_of[p] for p in group])
        found = best_matches(item.id, group, matrix, index, gate=lambda c: CALIBRATED.gate(0.6))
        if not found:
            decided[name] = None
            continue
        [match] = found
        candidate = Candidate(CLAIM.text, item.title, item.text, tuple(group), match.context)
        [read] = read_candidates(BuiltinStance(real_embedder), [candidate])
        evidence = CALIBRATED.bears_on(match.score, read.related, 0.6, match.margin)
        decided[name] = (read.result.stance, read.holder) if evidence else None
    assert decided["other words"] == (Stance.SUPPORTS, "South Korea's spy agency")
    assert decided["denial"] is not None and decided["denial"][0] is Stance.CONTRADICTS
    assert "North Korea" in decided["denial"][1]
    assert decided["unrelated"] is None
