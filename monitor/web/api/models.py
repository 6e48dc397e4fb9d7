"""What the API takes and gives: request and response models (pydantic)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from monitor.editing import WATCHLIST_KEY, WatchlistSettings
from monitor.types import (
    EDITOR_STANCES,
    Alert,
    AlertStatus,
    Claim,
    Evidence,
    EvidenceRecord,
    NearMissRecord,
    Review,
    Source,
    SourceKind,
    SourceSpec,
    Stance,
    Verdict,
)
from monitor.watchlists import schema


class ClaimIn(schema.ClaimFields):
    """A claim as an editor sends it: validated as a claim in a file is (its id is in the
    path); fields the API does not know are ignored."""

    model_config = ConfigDict(extra="ignore")


class ClaimOut(BaseModel):
    id: int
    watchlist: str
    key: str
    text: str
    paraphrases: list[str]
    threshold: float | None = Field(description="As configured (null: the watchlist's).")
    effective_threshold: float = Field(description="What matching uses now.")
    verdict: Verdict
    notes: str

    @classmethod
    def of(cls, claim: Claim) -> ClaimOut:
        spec = claim.spec
        return cls(
            id=claim.id,
            watchlist=claim.watchlist_key,
            key=spec.key,
            text=spec.text,
            paraphrases=list(spec.paraphrases),
            threshold=spec.threshold,
            effective_threshold=claim.threshold,
            verdict=spec.verdict,
            notes=spec.notes,
        )


class SavedClaimOut(BaseModel):
    claim: ClaimOut
    backfilled: int = Field(description="Archived items recorded as evidence, without alerts.")


class PreviewOut(BaseModel):
    item_id: int
    title: str
    url: str
    source: str
    published_at: datetime | None
    score: float
    passage: str


class SourceOut(BaseModel):
    id: int
    name: str
    url: str
    kind: SourceKind
    poll_interval_s: float
    current_interval_s: float
    enabled: bool
    disabled_reason: str | None
    last_success_at: datetime | None
    last_error: str | None
    error_count: int
    next_poll_at: datetime | None

    @classmethod
    def of(cls, source: Source) -> SourceOut:
        return cls(
            id=source.id,
            name=source.name,
            url=source.url,
            kind=source.kind,
            poll_interval_s=source.poll_interval.total_seconds(),
            current_interval_s=source.current_interval.total_seconds(),
            enabled=source.enabled,
            disabled_reason=source.disabled_reason,
            last_success_at=source.last_success_at,
            last_error=source.last_error,
            error_count=source.error_count,
            next_poll_at=source.next_poll_at,
        )


class SourceChange(BaseModel):
    enabled: bool


class QuietHoursOut(BaseModel):
    start: str
    end: str


class WatchlistChange(BaseModel):
    """A watchlist's own settings; those left out (or null) stay as they are. Each is validated
    as in a watchlist file and the settings form (:mod:`monitor.watchlists`)."""

    name: schema.Name | None = None
    slack_channel: schema.Channel | None = None
    description: schema.LongText | None = None
    timezone: schema.TimeZone | None = None
    digest_recipients: schema.Recipients | None = None
    digest_send_at: schema.ClockTime | None = None
    quiet_hours: schema.QuietHoursSchema | None = Field(None, description="null: no quiet hours.")
    per_claim_per_hour: schema.PerClaimPerHour | None = None
    per_channel_per_hour: schema.PerChannelPerHour | None = None

    def settings(self, current: WatchlistSettings) -> WatchlistSettings:
        given = self.model_dump(exclude_unset=True, include=set(WatchlistChange.model_fields))
        # null leaves a setting as it is, except for quiet hours: null turns them off.
        changes = {k: v for k, v in given.items() if v is not None or k == "quiet_hours"}
        return WatchlistSettings.validated(current.fields() | changes)


class SourceIn(BaseModel):
    """A source as an editor sends it."""

    name: schema.SourceName
    url: schema.SourceUrl
    kind: SourceKind = SourceKind.FEED
    poll_interval_s: int = Field(900, ge=schema.MIN_POLL_INTERVAL.seconds, le=7 * 86400)

    def spec(self) -> SourceSpec:
        interval = timedelta(seconds=self.poll_interval_s)
        return SourceSpec(self.name, str(self.url), self.kind, interval)


class FirstClaimIn(ClaimIn):
    key: schema.ClaimId


class WatchlistIn(WatchlistChange):
    """A new watchlist: its settings, its first source and its first claim (a watchlist file
    needs at least one of each)."""

    key: Annotated[str, Field(pattern=WATCHLIST_KEY.pattern, description="Names its file.")]
    name: schema.Name
    slack_channel: schema.Channel
    source: SourceIn
    claim: FirstClaimIn


class WatchlistOut(BaseModel):
    key: str
    name: str
    slack_channel: str
    timezone: str
    threshold: float
    description: str = ""
    digest_recipients: list[str] = Field(default_factory=list)
    digest_send_at: str = "07:00"
    quiet_hours: QuietHoursOut | None = None
    per_claim_per_hour: int = 6
    per_channel_per_hour: int = 30
    claims: list[ClaimOut]
    sources: list[str] = Field(description="URLs of the sources it reads.")
    read_only: str | None = Field(
        None,
        description="Why edits through the API and web UI are refused (managed in git, a "
        "read-only folder), and how to change it; null when it can be edited.",
    )
    sync_refused: str | None = Field(
        None, description="The last sync refused for carrying an older copy of its file."
    )


class ReportedOut(BaseModel):
    """A position an item reports besides its news (a denial recalled in passing)."""

    stance: Stance
    holder: str
    quote: str


class EvidenceOut(BaseModel):
    id: int
    claim_id: int
    claim_key: str
    item_id: int
    title: str
    url: str
    source: str
    published_at: datetime | None
    recorded_at: datetime
    quote: str
    score: float
    stance: Stance = Field(description="The editor's, when one set it; else the model's.")
    stance_confidence: float = Field(description="The model's confidence in what it read.")
    model_stance: Stance | None = Field(
        description="What the model read, when an editor set another stance (null otherwise)."
    )
    corrected_by: str | None = Field(
        description="The editor who set the stance (null: it is the model's)."
    )
    holder: str  # who holds the stance ("the outlet" when unattributed; "" if judged before)
    reported: list[ReportedOut]  # positions the item reports besides its news
    alerted: bool
    feedback: list[str]

    @classmethod
    def of(cls, record: EvidenceRecord) -> EvidenceOut:
        found = record.evidence
        return cls(
            **_item_reading(record, found),
            model_stance=found.model_stance,
            corrected_by=found.corrected_by or None,
            alerted=record.alerted,
            feedback=list(record.feedback),
        )


def _item_reading(record: EvidenceRecord | NearMissRecord, found: Evidence) -> dict[str, Any]:
    """What evidence and near misses show alike: the item, its outlet and how it was read."""
    return {
        "id": record.id,
        "claim_id": found.claim_id,
        "claim_key": record.claim_key,
        "item_id": found.item_id,
        "title": record.item_title,
        "url": record.item_url,
        "source": record.source_name,
        "published_at": record.published_at,
        "recorded_at": record.created_at,
        "quote": found.quote,
        "score": found.score,
        "stance": found.stance,
        "stance_confidence": found.stance_confidence,
        "holder": found.holder,
        "reported": [
            ReportedOut(stance=r.stance, holder=r.holder, quote=r.quote) for r in found.reported
        ],
    }


# The stances an editor may set (monitor.types.EDITOR_STANCES), as the schema names them.
EditorStance = Literal["supports", "contradicts", "mentions"]
assert get_args(EditorStance) == tuple(s.value for s in EDITOR_STANCES)


class StanceIn(BaseModel):
    """An editor's stance for a piece of evidence (the API's body, the claim page's form)."""

    stance: EditorStance

    def value(self) -> Stance:
        return Stance(self.stance)


class NearMissOut(BaseModel):
    """A candidate that fell just under its claim's bar: not evidence, never alerted, kept for
    editors to review."""

    id: int
    claim_id: int
    claim_key: str
    item_id: int
    title: str
    url: str
    source: str
    published_at: datetime | None
    recorded_at: datetime
    quote: str
    score: float = Field(description="How close the passage is to the claim (cosine).")
    relevance: float = Field(description="The score that fell short of the claim's threshold.")
    stance: Stance = Field(description="What the model read.")
    stance_confidence: float
    holder: str
    reported: list[ReportedOut]  # positions the item reports besides its news
    review: Review | None = Field(description="What an editor made of it (null: not reviewed).")
    reviewed_by: str | None = Field(description="The editor who reviewed it (null: nobody).")
    reviewed_at: datetime | None
    evidence_id: int | None = Field(
        description="The evidence it became (accepted, or found by a backfill); null: none."
    )

    @classmethod
    def of(cls, record: NearMissRecord) -> NearMissOut:
        return cls(
            **_item_reading(record, record.near_miss.evidence),
            relevance=record.near_miss.relevance,
            review=record.review,
            reviewed_by=record.reviewed_by or None,
            reviewed_at=record.reviewed_at,
            evidence_id=record.evidence_id,
        )


class ReviewIn(BaseModel):
    """An editor's review of a near miss (the API's body, the claim page's buttons)."""

    review: Review


class AlertOut(BaseModel):
    id: int
    status: AlertStatus
    channel: str
    watchlist: str
    claim_id: int
    claim_key: str
    item_url: str
    item_title: str
    source: str
    stance: Stance
    score: float
    created_at: datetime
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, alert: Alert) -> AlertOut:
        return cls(
            id=alert.id,
            status=alert.status,
            channel=alert.channel,
            watchlist=alert.watchlist_key,
            claim_id=alert.claim_id,
            claim_key=alert.claim_key,
            item_url=alert.item_url,
            item_title=alert.item_title,
            source=alert.source_name,
            stance=alert.stance,
            score=alert.score,
            created_at=alert.created_at,
            attempts=alert.attempts,
            last_error=alert.last_error,
        )
