"""Claims rewritten with the other names news uses for countries."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.judge.aliases import expand, mentions
from monitor.judge.match import ClaimIndex, best_matches, phrasings
from monitor.judge.relevance import CANDIDATE_SIMILARITY
from monitor.types import Claim, ClaimSpec

CLAIM = "North Korea is supplying artillery shells to Russia"


def test_a_claim_is_rewritten_with_capitals_governments_and_leaders() -> None:
    variants = expand(CLAIM)
    assert "Pyongyang is supplying artillery shells to Moscow" in variants
    assert "The North Korean government is supplying artillery shells to the Kremlin" in variants
    assert "Kim Jong Un is supplying artillery shells to Vladimir Putin" in variants


def test_a_capital_or_leader_in_a_claim_is_rewritten_to_the_country() -> None:
    assert "Russia denied the report" in expand("The Kremlin denied the report")
    assert [c.name for c in mentions("Kim Jong Un met Putin in Vladivostok")] == [
        "North Korea",
        "Russia",
    ]


def test_a_claim_without_a_country_is_left_alone() -> None:
    assert expand("The central bank will raise interest rates in March") == []
    assert expand("Officials told us the plan was dropped") == []  # "us" is not the US


def test_the_phrasings_matched_are_the_claims_own_then_the_rewrites() -> None:
    spec = ClaimSpec("shells", CLAIM, paraphrases=("Pyongyang arms Moscow",))
    found = phrasings(spec)
    assert found[:2] == (CLAIM, "Pyongyang arms Moscow")
    assert "Pyongyang is supplying artillery shells to Moscow" in found


@pytest.mark.model
def test_reporting_in_other_words_matches_and_unrelated_news_does_not(real_embedder) -> None:  # type: ignore[no-untyped-def]
    claim = Claim(1, "desk", ClaimSpec("shells", CLAIM), threshold=0.6)
    passages = [
        "Pyongyang has sent more than a million rounds of artillery ammunition to Moscow.",
        "Pyongyang's foreign ministry denied that it had sent any weapons to the Kremlin, "
        "calling the reports absurd.",
        "The central bank left interest rates unchanged on Thursday.",
    ]
    texts = list(dict.fromkeys([*phrasings(claim.spec), *passages]))
    vector_of = dict(zip(texts, real_embedder.encode(texts), strict=True))
    index = ClaimIndex.build([claim], vector_of)
    for n, passage in enumerate(passages):
        vectors = np.stack([vector_of[passage]])
        with_aliases = best_matches(n, [passage], vectors, index, gate=lambda c: -1.0)[0].score
        alone = float(vectors[0] @ vector_of[CLAIM])
        if n < 2:
            assert with_aliases >= alone + 0.05
            assert with_aliases >= CANDIDATE_SIMILARITY
        else:
            assert with_aliases < 0.3
