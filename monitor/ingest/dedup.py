"""Near-duplicate detection: one wire story carried by many outlets is one story.

Each item's text is reduced to a bottom-k MinHash sketch of its 5-word shingles: the ``SIZE``
smallest 63-bit hashes. Two texts' resemblance (Jaccard similarity of their shingle sets) is
estimated from their sketches alone. Copies of one wire story, lightly edited, resemble each
other far above :data:`SAME_STORY`; independent reports of the same event, written in other
words, stay far below it. Candidates are found through each sketch's :data:`ANCHORS` smallest
hashes: a pair of near-duplicates almost surely shares one of them.
"""

from __future__ import annotations

import hashlib
import re

SHINGLE = 5
SIZE = 64
ANCHORS = 8
SAME_STORY = 0.5
MIN_WORDS = 40  # texts this long are sketched in SHINGLE-word shingles
# A short item (a wire brief of one or two sentences) is sketched in shorter shingles whose
# hashes are negative, a space of their own: it groups only with copies of itself, and only
# above SHORT_SAME_STORY, since briefs written to one template ("update on Ukraine, 24
# November ...") resemble each other as much as lightly edited copies of a long story do. A
# title or a one-line summary (under SHORT_MIN_WORDS) is not grouped at all.
SHORT_MIN_WORDS = 15
SHORT_SHINGLE = 3
SHORT_SAME_STORY = 0.75
_WORD = re.compile(r"\w+", re.UNICODE)
_MASK = (1 << 63) - 1


def sketch(text: str) -> tuple[int, ...]:
    """The bottom-k MinHash sketch of ``text``, smallest first; empty for a title-length text.
    A text under :data:`MIN_WORDS` words is sketched in :data:`SHORT_SHINGLE`-word shingles."""
    words = _WORD.findall(text.lower())
    if len(words) >= MIN_WORDS:
        size, short = SHINGLE, False
    elif len(words) >= SHORT_MIN_WORDS:
        size, short = SHORT_SHINGLE, True
    else:
        return ()
    hashes = set()
    for i in range(len(words) - size + 1):
        shingle = " ".join(words[i : i + size]).encode()
        value = int.from_bytes(hashlib.blake2b(shingle, digest_size=8).digest(), "big") & _MASK
        hashes.add(-1 - value if short else value)  # short: -1 .. -2**63
    return tuple(sorted(hashes)[:SIZE])


def resemblance(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the texts behind two sketches (0 if either is empty)."""
    if not a or not b:
        return 0.0
    size = min(SIZE, len(a), len(b))
    union = sorted(set(a) | set(b))[:size]
    shared = set(a) & set(b)
    return sum(1 for h in union if h in shared) / size


def same_story_at(sketch_: tuple[int, ...]) -> float:
    """The resemblance above which an item of this sketch joins another's story."""
    return SHORT_SAME_STORY if sketch_ and sketch_[0] < 0 else SAME_STORY


def anchors(sketch_: tuple[int, ...]) -> tuple[int, ...]:
    """The hashes used to look up candidate near-duplicates."""
    return sketch_[:ANCHORS]
