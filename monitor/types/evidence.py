"""What judging produces: matches, stance decisions, and the evidence recorded for a claim."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from monitor.types.claims import Stance


@dataclass(frozen=True)
class Match:
    """A passage of an item that is semantically close to a claim.

    ``context`` holds the item's passages closest to the claim, closest first (``passage`` is
    the first): what a stance model reads. ``margin`` is how much closer the item is to this
    claim than to the closest other claim it was compared with (monitor.judge.match).
    """

    claim_id: int
    item_id: int
    passage: str
    score: float
    context: tuple[str, ...] = ()
    margin: float = 0.0


@dataclass(frozen=True)
class StanceResult:
    """A stance decision with its confidence and the passage that carries it.

    ``related`` is the classifier's probability that the item bears on the claim at all
    (1 - p(unrelated)); classifiers that cannot tell leave it at 1.0.
    """

    stance: Stance
    confidence: float
    quote: str
    related: float = 1.0


@dataclass(frozen=True)
class ReportedStance:
    """A position an item reports someone taking besides its own news: the denial a report of
    the shipments recalls in passing ("Tehran has denied supplying drones")."""

    stance: Stance
    holder: str  # who takes it, as the text names them
    quote: str


@dataclass(frozen=True)
class Evidence:
    """A claim x item pair worth recording: the quote, similarity score and stance.

    ``stance`` is the item's primary stance (its news); ``holder`` says who holds it as the
    text names them ("NSC spokesman John Kirby", "the outlet" when nobody is named); ``reported``
    lists the other positions the item reports (a denial recalled in passing).
    """

    claim_id: int
    item_id: int
    score: float
    quote: str
    stance: Stance
    stance_confidence: float
    # False: recorded without an alert (old news found by a backfill, or an item like those
    # editors marked not relevant for this claim).
    alert: bool = True
    holder: str = ""
    reported: tuple[ReportedStance, ...] = ()
    related: float | None = None  # the stance model's probability that the item bears on it
    # An editor set ``stance``: who did, and what the model had read (None: nobody corrected).
    corrected_by: str = ""
    model_stance: Stance | None = None


@dataclass(frozen=True)
class NearMiss:
    """A candidate the relevance decision kept just under its claim's bar: not evidence, not
    alerted, but shown to editors to confirm or dismiss (:meth:`Relevance.near_miss`).

    ``evidence`` is the reading as it would have been recorded; ``relevance`` the score that fell
    short of the claim's threshold.
    """

    evidence: Evidence
    relevance: float


class Review(StrEnum):
    """What an editor made of a near miss."""

    ACCEPTED = "accepted"  # it bears on the claim: recorded as evidence
    DISMISSED = "dismissed"  # it does not


@dataclass(frozen=True)
class NearMissRecord:
    """A stored near miss with its item and outlet, and what editors made of it (if anything)."""

    id: int
    near_miss: NearMiss
    claim_key: str
    item_title: str
    item_url: str
    source_name: str
    published_at: datetime | None
    created_at: datetime
    review: Review | None = None  # None: nobody has looked at it yet
    reviewed_by: str = ""
    reviewed_at: datetime | None = None
    evidence_id: int | None = None  # the evidence it became (accepted, or found by a backfill)


@dataclass(frozen=True)
class StanceCorrection:
    """An editor's correction of the stance the model read, with the item it was read from."""

    evidence_id: int
    claim_key: str
    claim_text: str
    item_title: str
    item_text: str
    item_url: str
    quote: str
    holder: str
    model_stance: Stance
    stance: Stance  # the editor's
    corrected_by: str
    corrected_at: datetime


@dataclass(frozen=True)
class EvidenceRecord:
    """Stored evidence with what a page shows beside it: the item, its outlet, the feedback."""

    id: int
    evidence: Evidence
    claim_key: str
    item_title: str
    item_url: str
    source_name: str
    published_at: datetime | None
    created_at: datetime
    alerted: bool = True  # False: recorded by a backfill (or held back) without an alert
    feedback: tuple[str, ...] = ()
