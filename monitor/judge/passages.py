"""Split an item into passages: the units that are matched to claims and quoted as evidence."""

from __future__ import annotations

import re

from monitor.types import Item

# A sentence ends at . ! or ? (optionally followed by a closing quote or bracket) before
# whitespace and an upper-case letter, digit or opening quote. Common abbreviations are protected.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = re.compile(
    r"\b(Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Maj|Capt|Sgt|Adm|Sen|Rep|Gov|Pres|St|Jr|Sr|No|Vol|"
    r"U\.S|U\.K|U\.N|E\.U|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|etc|vs|approx)\.$"
)
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


def passages(item: Item) -> list[str]:
    """The title, then the body's sentences; short ones are joined to the next, long ones cut."""
    result: list[str] = []
    if item.title:
        result.append(item.title[:MAX_CHARS])
    carry = ""
    for sentence in split_sentences(item.text):
        text = f"{carry} {sentence}".strip() if carry else sentence
        if len(text.split()) < MIN_WORDS:
            carry = text
            continue
        carry = ""
        if text != item.title:
            result.append(text[:MAX_CHARS])
        if len(result) >= MAX_PASSAGES:
            break
    if carry and len(result) < MAX_PASSAGES:
        result.append(carry[:MAX_CHARS])
    return result
