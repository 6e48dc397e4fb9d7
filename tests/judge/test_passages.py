"""Passages: an item cut into the sentences that are matched to claims and quoted."""

from __future__ import annotations

from monitor.judge.passages import split_sentences


def test_a_middle_initial_does_not_end_a_sentence() -> None:
    text = (
        "As the USS Dwight D. Eisenhower left the Red Sea, the group claimed a hit. "
        "Health Secretary Robert F. Kennedy Jr. told the meeting so. It ended in group B. "
        "Then the talks resumed."
    )
    assert split_sentences(text) == [
        "As the USS Dwight D. Eisenhower left the Red Sea, the group claimed a hit.",
        "Health Secretary Robert F. Kennedy Jr. told the meeting so.",
        "It ended in group B.",
        "Then the talks resumed.",
    ]


def test_titles_and_paragraphs_are_respected() -> None:
    text = "Dr. Ruiz said the U.S. data were wrong.\nThe agency disagreed. It published more."
    assert split_sentences(text) == [
        "Dr. Ruiz said the U.S. data were wrong.",
        "The agency disagreed.",
        "It published more.",
    ]
