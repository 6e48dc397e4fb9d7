"""Candidates become evidence on similarity, the stance model's relatedness and the margin
over the watchlist's other claims together (the calibrated decision, as shipped)."""

from __future__ import annotations

from dataclasses import replace

from monitor.app import make_relevance
from monitor.judge.relevance import (
    BUILTIN,
    CALIBRATED,
    CROSS,
    REVIEW_BAND,
    SIMILARITY_ONLY,
    for_model,
)
from monitor.settings import load_settings


def test_without_relatedness_the_similarity_must_reach_the_threshold() -> None:
    assert SIMILARITY_ONLY.gate(0.6) == 0.6
    assert SIMILARITY_ONLY.bears_on(0.61, 1.0, 0.6)
    assert not SIMILARITY_ONLY.bears_on(0.59, 1.0, 0.6)


def test_a_related_item_in_other_words_is_evidence_below_the_old_cosine_gate() -> None:
    # "Pyongyang has sent ... to Moscow" against "North Korea is supplying ... to Russia",
    # no other claim of the watchlist close: the margin is 0.55 - 0.35, capped at 0.2.
    assert CALIBRATED.gate(0.6) < 0.5
    assert CALIBRATED.bears_on(0.55, 0.97, 0.6, margin=0.2)


def test_a_close_item_the_model_finds_unrelated_is_not_evidence() -> None:
    assert not CALIBRATED.bears_on(0.5, 0.02, 0.6, margin=0.0)
    assert not CALIBRATED.bears_on(0.3, 0.99, 0.6, margin=0.2)  # under the candidate gate


def test_an_item_much_closer_to_another_claim_is_not_evidence_for_this_one() -> None:
    assert not CALIBRATED.bears_on(0.45, 0.9, 0.6, margin=-0.2)


def test_editors_raising_the_threshold_drops_borderline_candidates() -> None:
    similarity, related, margin = 0.5, 0.8, 0.05
    score = CALIBRATED.score(similarity, related, margin)
    assert CALIBRATED.bears_on(similarity, related, score - 0.01, margin)
    assert not CALIBRATED.bears_on(similarity, related, score + 0.02, margin)


def test_each_stance_model_that_tells_relatedness_has_its_calibration() -> None:
    assert for_model("builtin") is BUILTIN
    assert for_model("crossencoder") is CALIBRATED is CROSS  # the default, own relatedness
    assert CROSS.uses_related and BUILTIN.uses_related
    assert for_model("none") is SIMILARITY_ONLY
    assert for_model("/models/some-nli-cross-encoder") is SIMILARITY_ONLY


def test_a_candidate_just_under_the_bar_is_a_near_miss_for_editors_to_review() -> None:
    similarity, related, margin = 0.5, 0.5, 0.1
    score = CALIBRATED.score(similarity, related, margin)
    assert 0.6 - REVIEW_BAND <= score < 0.6
    assert not CALIBRATED.bears_on(similarity, related, 0.6, margin)
    assert CALIBRATED.near_miss(similarity, related, 0.6, margin)
    # Evidence is no near miss; nor is a candidate far under the bar.
    assert not CALIBRATED.near_miss(0.7, 0.99, 0.6, 0.2)
    assert not CALIBRATED.near_miss(0.36, 0.01, 0.6, -0.2)
    # The band follows the claim's own threshold, as editors move it.
    assert not CALIBRATED.near_miss(similarity, related, score + REVIEW_BAND + 0.01, margin)
    assert CALIBRATED.near_miss(similarity, related, score + 0.01, margin)


def test_what_is_kept_is_the_evidence_and_the_near_misses_and_nothing_else() -> None:
    assert CALIBRATED.kept(0.7, 0.99, 0.6, 0.2)  # evidence
    assert CALIBRATED.kept(0.5, 0.5, 0.6, 0.1)  # a near miss
    assert not CALIBRATED.kept(0.5, 0.3, 0.6, 0.1)  # further under the bar than the band
    assert not CALIBRATED.kept(0.36, 0.01, 0.6, -0.2)  # far under the bar
    assert not replace(CALIBRATED, review_band=0.0).kept(0.5, 0.5, 0.6, 0.1)
    assert SIMILARITY_ONLY.kept(0.6, 0.0, 0.6) and not SIMILARITY_ONLY.kept(0.59, 1.0, 0.6)


def test_a_decision_by_similarity_alone_has_no_near_misses() -> None:
    assert not SIMILARITY_ONLY.near_miss(0.59, 1.0, 0.6)
    assert not SIMILARITY_ONLY.near_miss(0.4, 1.0, 0.6)


def test_a_desk_can_narrow_the_band_or_keep_no_near_misses() -> None:
    similarity, related, margin = 0.5, 0.3, 0.1
    score = CALIBRATED.score(similarity, related, margin)
    narrow = replace(CALIBRATED, review_band=0.6 - score - 0.01)
    assert not narrow.near_miss(similarity, related, 0.6, margin)
    assert not replace(CALIBRATED, review_band=0.0).near_miss(similarity, related, 0.6, margin)


def test_the_service_decides_with_the_band_its_settings_give() -> None:
    assert load_settings().review_band == REVIEW_BAND
    assert make_relevance(load_settings(review_band=0.0)).review_band == 0.0
    assert make_relevance(load_settings(review_band=0.2)).near_miss(0.5, 0.3, 0.6, 0.1) is (
        CALIBRATED.score(0.5, 0.3, 0.1) >= 0.4
    )
