"""Stories: which story a new item belongs to. Pure (storage looks up the candidates and writes
the answer down).

An item joins the story of the recent item it most resembles (MinHash resemblance above
:func:`~monitor.ingest.dedup.same_story_at`, the oldest story on ties), whether that item was
stored before or earlier in the same batch; an item like none starts a story of its own, named
by its id. Candidates are found through the sketch's anchors, so only items sharing one are
compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from monitor.ingest.dedup import SIZE, anchors, resemblance, same_story_at

# Near-duplicates are looked for among items stored this recently.
STORY_WINDOW = timedelta(days=3)

Sketch = tuple[int, ...]
# Per anchor, the (story id, sketch) of the recent items that have it.
Candidates = dict[int, list[tuple[int, Sketch]]]


def assign_stories(
    ids: Sequence[int], sketches: Sequence[Sketch], candidates: Candidates
) -> list[int]:
    """The story of each new item (``ids`` with their ``sketches``, in order): a candidate's,
    or an earlier new item's, or its own id. ``candidates`` is not changed."""
    known: Candidates = {anchor: list(found) for anchor, found in candidates.items()}
    stories = []
    for item_id, fingerprint in zip(ids, sketches, strict=True):
        story = closest_story(fingerprint, known) or item_id
        stories.append(story)
        for anchor in anchors(fingerprint):
            known.setdefault(anchor, []).append((story, fingerprint))
    return stories


def closest_story(fingerprint: Sketch, candidates: Candidates) -> int | None:
    """The story most resembling ``fingerprint`` above its threshold (:func:`same_story_at`;
    the oldest story on ties)."""
    found = {c for anchor in anchors(fingerprint) for c in candidates.get(anchor, ())}
    best, story = same_story_at(fingerprint), None
    mine = set(fingerprint)
    for story_id, other in sorted(found):
        # Cheap bound first: a sketch sharing few hashes cannot resemble enough to matter.
        bound = len(mine.intersection(other)) / min(SIZE, len(fingerprint), len(other))
        if bound < best or (bound == best and story is not None):
            continue
        similarity = resemblance(fingerprint, other)
        if similarity > best or (similarity == best and story is None):
            best, story = similarity, story_id
    return story
