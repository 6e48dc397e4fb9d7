"""Near-duplicate sketches: wire copies group, independent reports do not."""

from __future__ import annotations

from monitor.ingest.dedup import SAME_STORY, anchors, resemblance, same_story_at, sketch
from tests.support.texts import (
    BRIEF,
    BRIEF_COPY,
    COPY,
    INDEPENDENT,
    OTHER_BRIEF,
    TEMPLATE_MONDAY,
    TEMPLATE_TUESDAY,
    WIRE,
)


def test_a_lightly_edited_wire_copy_is_the_same_story() -> None:
    assert resemblance(sketch(WIRE), sketch(COPY)) >= SAME_STORY


def test_an_independent_report_of_the_same_event_is_not() -> None:
    assert resemblance(sketch(WIRE), sketch(INDEPENDENT)) < 0.1


def test_title_length_texts_are_not_sketched() -> None:
    assert sketch("North Korea ships shells to Russia, officials say.") == ()
    assert resemblance((), sketch(WIRE)) == 0.0


def test_a_copy_of_a_short_brief_is_the_same_story() -> None:
    assert resemblance(sketch(BRIEF), sketch(BRIEF_COPY)) >= same_story_at(sketch(BRIEF))
    assert set(anchors(sketch(BRIEF))) & set(anchors(sketch(BRIEF_COPY)))


def test_another_brief_on_the_same_event_is_not() -> None:
    assert resemblance(sketch(BRIEF), sketch(OTHER_BRIEF)) < 0.1


def test_a_brief_never_groups_with_a_long_text_that_contains_it() -> None:
    assert resemblance(sketch(BRIEF), sketch(f"{BRIEF} {WIRE}")) == 0.0


def test_copies_share_an_anchor() -> None:
    assert set(anchors(sketch(WIRE))) & set(anchors(sketch(COPY)))
    assert sketch(WIRE) == sketch(WIRE)


def test_briefs_written_to_one_template_are_not_one_story() -> None:
    similarity = resemblance(sketch(TEMPLATE_MONDAY), sketch(TEMPLATE_TUESDAY))
    assert similarity < same_story_at(sketch(TEMPLATE_MONDAY))
    assert same_story_at(sketch(WIRE)) == SAME_STORY
