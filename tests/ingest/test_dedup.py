"""Near-duplicate sketches: wire copies group, independent reports do not."""

from __future__ import annotations

from monitor.ingest.dedup import SAME_STORY, anchors, resemblance, sketch
from tests.support.texts import COPY, INDEPENDENT, WIRE


def test_a_lightly_edited_wire_copy_is_the_same_story() -> None:
    assert resemblance(sketch(WIRE), sketch(COPY)) >= SAME_STORY


def test_an_independent_report_of_the_same_event_is_not() -> None:
    assert resemblance(sketch(WIRE), sketch(INDEPENDENT)) < 0.1


def test_short_texts_are_not_sketched() -> None:
    assert sketch("North Korea ships shells to Russia, officials say.") == ()
    assert resemblance((), sketch(WIRE)) == 0.0


def test_copies_share_an_anchor() -> None:
    assert set(anchors(sketch(WIRE))) & set(anchors(sketch(COPY)))
    assert sketch(WIRE) == sketch(WIRE)
