"""Story assignment without a database: copies join the story they resemble, within a batch
and across batches; others start their own."""

from __future__ import annotations

from monitor.ingest.dedup import anchors, sketch
from monitor.ingest.stories import Candidates, assign_stories, closest_story
from tests.support.texts import (
    BRIEF,
    BRIEF_COPY,
    COPY,
    INDEPENDENT,
    TEMPLATE_MONDAY,
    TEMPLATE_TUESDAY,
    WIRE,
)


def stored(*items: tuple[int, str]) -> Candidates:
    """Candidates as storage finds them: (story id, sketch) under each anchor."""
    found: Candidates = {}
    for story, text in items:
        fingerprint = sketch(text)
        for anchor in anchors(fingerprint):
            found.setdefault(anchor, []).append((story, fingerprint))
    return found


def test_a_copy_in_the_same_batch_joins_the_first_items_story() -> None:
    sketches = [sketch(WIRE), sketch(INDEPENDENT), sketch(COPY)]
    assert assign_stories([10, 11, 12], sketches, {}) == [10, 11, 10]


def test_a_copy_joins_the_story_of_an_item_stored_before() -> None:
    candidates = stored((3, WIRE))
    assert assign_stories([20, 21], [sketch(COPY), sketch(INDEPENDENT)], candidates) == [3, 21]
    assert candidates == stored((3, WIRE))  # the caller's view is left as it was


def test_of_two_stories_as_close_the_oldest_wins() -> None:
    assert closest_story(sketch(COPY), stored((7, WIRE), (5, WIRE))) == 5
    assert closest_story(sketch(INDEPENDENT), stored((7, WIRE))) is None


def test_a_briefs_copy_joins_it_and_template_briefs_of_two_days_stay_apart() -> None:
    texts = [TEMPLATE_MONDAY, BRIEF, TEMPLATE_TUESDAY, BRIEF_COPY]
    assert assign_stories([1, 2, 3, 4], [sketch(t) for t in texts], {}) == [1, 2, 3, 2]
