"""Claims: what a desk tracks, what an item says about one, and the desk's verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stance(StrEnum):
    """What an item says about a claim."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    MENTIONS = "mentions"
    UNRELATED = "unrelated"


# The stances an editor may set on evidence: stored evidence is never "unrelated" (a match the
# model finds unrelated is kept as a mention).
EDITOR_STANCES = (Stance.SUPPORTS, Stance.CONTRADICTS, Stance.MENTIONS)


class Verdict(StrEnum):
    """The desk's current verdict on a claim (set by editors, never by the model)."""

    UNVERIFIED = "unverified"
    SUPPORTED = "supported"
    DISPUTED = "disputed"
    REFUTED = "refuted"


@dataclass(frozen=True)
class ClaimSpec:
    """A tracked claim as configured in a watchlist. ``key`` (``id:`` in the file) is stable
    across edits; a stored :class:`Claim` adds its database ``id``."""

    key: str
    text: str
    paraphrases: tuple[str, ...] = ()
    threshold: float | None = None
    verdict: Verdict = Verdict.UNVERIFIED
    notes: str = ""

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The claim text followed by its paraphrases: everything matching compares against."""
        return (self.text, *self.paraphrases)


@dataclass(frozen=True)
class Claim:
    """A stored claim: its watchlist spec plus database identity."""

    id: int
    watchlist_key: str
    spec: ClaimSpec
    threshold: float

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def text(self) -> str:
        return self.spec.text
