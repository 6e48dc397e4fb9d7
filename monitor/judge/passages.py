"""Split an item into passages: the units that are matched to claims and quoted as evidence."""

from __future__ import annotations

import re

from monitor.types import Item

# A sentence ends at . ! or ? (optionally followed by a closing quote or bracket) before
# whitespace and an upper-case letter, digit or opening quote. Common abbreviations are protected.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[\"'“‘(\[]?[A-Z0-9])")
# Words whose dot ends an abbreviation, not a sentence (attribution protects the same ones).
ABBREVIATED = (
    "Mr|Mrs|Ms|Dr|Prof|Gen|Brig|Lt|Col|Maj|Capt|Cmdr|Sgt|Adm|Sen|Rep|Gov|Pres|St|Jr|Sr|No|Vol|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|etc|vs|approx"
)
MIDDLE_INITIAL = r"\b[A-Z][a-z]+\s[A-Z]\."  # "Dwight D. Eisenhower"
_ABBREVIATIONS = re.compile(rf"\b(?:{ABBREVIATED}|U\.S|U\.K|U\.N|E\.U)\.$|{MIDDLE_INITIAL}$")
MIN_WORDS = 5
MAX_CHARS = 600
MAX_PASSAGES = 80


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, paragraph breaks respected, abbreviations not split."""
    sentences: list[str] = []
    for paragraph in text.splitlines():
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        pending = ""
        for piece in _BOUNDARY.split(paragraph):
            pending = f"{pending} {piece}".strip() if pending else piece.strip()
            if _ABBREVIATIONS.search(pending):
                continue
            sentences.append(pending)
            pending = ""
        if pending:
            sentences.append(pending)
    return sentences


def body_passages(text: str, limit: int = MAX_PASSAGES) -> list[str]:
    """The body's sentences, short ones joined to the next, long ones cut, at most ``limit``."""
    result: list[str] = []
    carry = ""
    for sentence in split_sentences(text):
        joined = f"{carry} {sentence}".strip() if carry else sentence
        if len(joined.split()) < MIN_WORDS:
            carry = joined
            continue
        carry = ""
        result.append(joined[:MAX_CHARS])
        if len(result) >= limit:
            return result
    if carry:
        result.append(carry[:MAX_CHARS])
    return result


def passages(item: Item) -> list[str]:
    """The title, then the body's passages (see :func:`body_passages`)."""
    title = item.title[:MAX_CHARS]
    body = [p for p in body_passages(item.text) if p != title]
    return ([title] if title else []) + body[: MAX_PASSAGES - 1]
