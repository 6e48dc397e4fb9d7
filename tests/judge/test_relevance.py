"""Candidates become evidence on similarity and the stance model's relatedness together."""

from __future__ import annotations

from monitor.judge.relevance import CALIBRATED, SIMILARITY_ONLY


def test_without_relatedness_the_similarity_must_reach_the_threshold() -> None:
    assert SIMILARITY_ONLY.gate(0.6) == 0.6
    assert SIMILARITY_ONLY.bears_on(0.61, 1.0, 0.6)
    assert not SIMILARITY_ONLY.bears_on(0.59, 1.0, 0.6)


def test_a_related_item_in_other_words_is_evidence_below_the_old_cosine_gate() -> None:
    # "Pyongyang has sent ... to Moscow" against "North Korea is supplying ... to Russia".
    assert CALIBRATED.gate(0.6) < 0.5
    assert CALIBRATED.bears_on(0.55, 0.97, 0.6)


def test_a_close_but_unrelated_item_is_not_evidence() -> None:
    assert not CALIBRATED.bears_on(0.62, 0.05, 0.6)
    assert not CALIBRATED.bears_on(0.3, 0.99, 0.6)  # under the candidate gate


def test_editors_raising_the_threshold_drops_borderline_candidates() -> None:
    similarity, related = 0.5, 0.8
    score = CALIBRATED.score(similarity, related)
    assert CALIBRATED.bears_on(similarity, related, score - 0.01)
    assert not CALIBRATED.bears_on(similarity, related, score + 0.02)
