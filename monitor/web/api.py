"""The REST API (``/api/v1``): watchlists, claims, sources, evidence, alerts; bearer tokens.

Its OpenAPI schema is served at ``/api/v1/openapi.json``. Viewers read; editors also create
watchlists and change or remove claims and sources, through the same
:class:`~monitor.editing.Editor` as the web UI.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, HttpUrl

from monitor.editing import WATCHLIST_KEY, WatchlistSettings
from monitor.types import (
    Alert,
    AlertStatus,
    Claim,
    ClaimSpec,
    EvidenceRecord,
    QuietHours,
    Source,
    SourceKind,
    SourceSpec,
    Stance,
    Verdict,
)
from monitor.watchlists import ClaimText, Line, LongText, Name
from monitor.web.auth import ApiEditor, ApiViewer
from monitor.web.context import WebContext, found

router = APIRouter(prefix="/api/v1", tags=["api"])
Viewer = ApiViewer
Editor = ApiEditor
WatchlistKey = Annotated[str, Path(max_length=200)]
ClaimKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)]
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # what every database can hold
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


Text = ClaimText


class ClaimIn(BaseModel):
    """A claim as an editor sends it."""

    text: Text
    paraphrases: list[Text] = Field(default_factory=list, max_length=50)
    threshold: float | None = Field(None, ge=0.0, le=1.0)
    verdict: Verdict = Verdict.UNVERIFIED
    notes: LongText = ""

    def spec(self, key: str) -> ClaimSpec:
        return ClaimSpec(
            key, self.text, tuple(self.paraphrases), self.threshold, self.verdict, self.notes
        )


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
            key=spec.id,
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


ClockText = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["07:00"])]


class QuietHoursIn(BaseModel):
    start: ClockText
    end: ClockText


class WatchlistChange(BaseModel):
    """A watchlist's own settings; those left out (or null) stay as they are."""

    name: Name | None = None
    slack_channel: Annotated[str, Field(pattern=r"^[#@]?[\w.-]{1,80}$")] | None = None
    description: LongText | None = None
    timezone: Annotated[Line, Field(max_length=64, examples=["Europe/Berlin"])] | None = None
    digest_recipients: list[Line] | None = Field(None, max_length=100)
    digest_send_at: ClockText | None = None
    quiet_hours: QuietHoursIn | None = Field(None, description="null: no quiet hours.")
    per_claim_per_hour: int | None = Field(None, ge=1, le=1000)
    per_channel_per_hour: int | None = Field(None, ge=1, le=3600)

    def settings(self, current: WatchlistSettings) -> WatchlistSettings:
        given = self.model_dump(exclude_unset=True, include=set(WatchlistChange.model_fields))
        special = ("quiet_hours", "digest_send_at")
        # null leaves a setting as it is, except for quiet hours: null turns them off.
        changes = {k: v for k, v in given.items() if v is not None and k not in special}
        if "digest_recipients" in changes:
            changes["digest_recipients"] = tuple(changes["digest_recipients"])
        if self.digest_send_at is not None:
            changes["digest_send_at"] = time.fromisoformat(self.digest_send_at)
        if "quiet_hours" in given:
            quiet = self.quiet_hours
            changes["quiet_hours"] = (
                QuietHours(time.fromisoformat(quiet.start), time.fromisoformat(quiet.end))
                if quiet
                else None
            )
        return replace(current, **changes)


class SourceIn(BaseModel):
    """A source as an editor sends it."""

    name: Annotated[Line, Field(min_length=1)]
    url: HttpUrl
    kind: SourceKind = SourceKind.FEED
    poll_interval_s: int = Field(900, ge=10, le=7 * 86400)

    def spec(self) -> SourceSpec:
        interval = timedelta(seconds=self.poll_interval_s)
        return SourceSpec(self.name, str(self.url), self.kind, interval)


class FirstClaimIn(ClaimIn):
    key: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)]


class WatchlistIn(WatchlistChange):
    """A new watchlist: its settings, its first source and its first claim (a watchlist file
    needs at least one of each)."""

    key: Annotated[str, Field(pattern=WATCHLIST_KEY.pattern, description="Names its file.")]
    name: Name
    slack_channel: Annotated[str, Field(pattern=r"^[#@]?[\w.-]{1,80}$")]
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
    quiet_hours: QuietHoursIn | None = None
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
    stance: Stance
    stance_confidence: float
    alerted: bool
    feedback: list[str]

    @classmethod
    def of(cls, record: EvidenceRecord) -> EvidenceOut:
        found = record.evidence
        return cls(
            id=record.id,
            claim_id=found.claim_id,
            claim_key=record.claim_key,
            item_id=found.item_id,
            title=record.item_title,
            url=record.item_url,
            source=record.source_name,
            published_at=record.published_at,
            recorded_at=record.created_at,
            quote=found.quote,
            score=found.score,
            stance=found.stance,
            stance_confidence=found.stance_confidence,
            alerted=record.alerted,
            feedback=list(record.feedback),
        )


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


def _web(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def _claim(request: Request, claim_id: int) -> Claim:
    return found(_web(request).repository.find_claim(claim_id), "claim")


def _known_watchlist(request: Request, key: str) -> None:
    found(_web(request).repository.watchlist(key), "watchlist")


def _editable_watchlist(request: Request, key: str) -> None:
    """404 for an unknown watchlist, 409 for one not edited here (before anything is done)."""
    _known_watchlist(request, key)
    _web(request).editor.check_editable(key)


@router.get("/watchlists", response_model=list[WatchlistOut])
def list_watchlists(request: Request, user: Viewer) -> list[WatchlistOut]:
    """Every active watchlist with its claims and sources."""
    repository = _web(request).repository
    found = []
    for key in repository.watchlist_keys():
        watchlist = repository.watchlist(key)
        if watchlist is not None:
            found.append(_watchlist_out(request, key))
    return found


@router.get("/watchlists/{key}", response_model=WatchlistOut, responses={404: {}})
def get_watchlist(request: Request, key: WatchlistKey, user: Viewer) -> WatchlistOut:
    _known_watchlist(request, key)
    return _watchlist_out(request, key)


@router.post(
    "/watchlists",
    response_model=WatchlistOut,
    status_code=201,
    responses={
        409: {"description": "The watchlist folder is read-only here."},
        422: {"description": "Invalid, taken key, or the source's test fetch failed."},
    },
)
def create_watchlist(request: Request, new: WatchlistIn, user: Editor) -> WatchlistOut:
    """Create a watchlist file (``<key>.yaml``) with its first source (test-fetched first) and
    its first claim (backfilled from the archive, without alerts)."""
    blank = WatchlistSettings(new.name, new.slack_channel)
    settings = new.settings(blank)
    claim = new.claim.spec(new.claim.key)
    _web(request).editor.create_watchlist(new.key, settings, new.source.spec(), claim, user.name)
    return _watchlist_out(request, new.key)


@router.patch(
    "/watchlists/{key}", response_model=WatchlistOut, responses={404: {}, 409: {}, 422: {}}
)
def change_watchlist(
    request: Request, key: WatchlistKey, change: WatchlistChange, user: Editor
) -> WatchlistOut:
    """Change a watchlist's own settings (written to its file, audited)."""
    _editable_watchlist(request, key)
    editor = _web(request).editor
    editor.update_watchlist(key, change.settings(editor.watchlist_settings(key)), user.name)
    return _watchlist_out(request, key)


@router.delete(
    "/watchlists/{key}/claims/{claim_key}",
    status_code=204,
    responses={404: {}, 409: {}, 422: {"description": "The watchlist's only claim."}},
)
def delete_claim(
    request: Request, key: WatchlistKey, claim_key: ClaimKey, user: Editor
) -> Response:
    """Remove a claim from its watchlist file: it stops matching; its evidence stays."""
    _editable_watchlist(request, key)
    web = _web(request)
    found(next((c for c in web.repository.claims(key) if c.key == claim_key), None), "claim")
    web.editor.remove_claim(key, claim_key, user.name)
    return Response(status_code=204)


@router.delete(
    "/watchlists/{key}/sources/{source_id}",
    status_code=204,
    responses={404: {}, 409: {}, 422: {"description": "The watchlist's only source."}},
)
def delete_source(request: Request, key: WatchlistKey, source_id: RowId, user: Editor) -> Response:
    """Stop a watchlist reading a source (removed from its file); the source's items and their
    evidence stay, and it is no longer polled unless another watchlist reads it."""
    _editable_watchlist(request, key)
    web = _web(request)
    if source_id not in web.repository.watchlist_source_ids(key):
        raise HTTPException(404, "no such source in this watchlist")
    web.editor.remove_source(key, source_id, user.name)
    return Response(status_code=204)


def _watchlist_out(request: Request, key: str) -> WatchlistOut:
    repository = _web(request).repository
    watchlist = repository.watchlist(key)
    assert watchlist is not None
    quiet = watchlist.alerts.quiet_hours
    return WatchlistOut(
        key=key,
        name=watchlist.name,
        slack_channel=watchlist.slack_channel,
        timezone=watchlist.timezone,
        threshold=watchlist.threshold,
        description=watchlist.description,
        digest_recipients=list(watchlist.digest.recipients),
        digest_send_at=watchlist.digest.send_at.strftime("%H:%M"),
        quiet_hours=(
            QuietHoursIn(start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}") if quiet else None
        ),
        per_claim_per_hour=watchlist.alerts.per_claim_per_hour,
        per_channel_per_hour=watchlist.alerts.per_channel_per_hour,
        claims=[ClaimOut.of(c) for c in repository.claims(key)],
        sources=[s.url for s in watchlist.sources],
        read_only=_web(request).editor.read_only_reason(key),
        sync_refused=repository.sync_refusals().get(key),
    )


@router.get("/claims", response_model=list[ClaimOut])
def list_claims(
    request: Request,
    user: Viewer,
    watchlist: Annotated[str | None, Query(max_length=200)] = None,
) -> list[ClaimOut]:
    """Active claims, of one watchlist when given."""
    return [ClaimOut.of(c) for c in _web(request).repository.claims(watchlist)]


@router.get("/claims/{claim_id}", response_model=ClaimOut, responses={404: {}})
def get_claim(request: Request, claim_id: RowId, user: Viewer) -> ClaimOut:
    return ClaimOut.of(_claim(request, claim_id))


@router.put(
    "/watchlists/{key}/claims/{claim_key}",
    response_model=SavedClaimOut,
    responses={404: {}, 409: {"description": "Not edited here, or raced by a hand edit."}, 422: {}},
)
def put_claim(
    request: Request, key: WatchlistKey, claim_key: ClaimKey, claim: ClaimIn, user: Editor
) -> SavedClaimOut:
    """Add or change a claim (written to its watchlist file, audited); what it matches in the
    archive is recorded as evidence without alerts."""
    _editable_watchlist(request, key)
    saved = _web(request).editor.save_claim(key, claim.spec(claim_key), user.name)
    return SavedClaimOut(claim=ClaimOut.of(saved.claim), backfilled=saved.backfilled)


@router.post(
    "/watchlists/{key}/claims/{claim_key}/preview",
    response_model=list[PreviewOut],
    responses={404: {}},
)
def preview_claim(
    request: Request, key: WatchlistKey, claim_key: ClaimKey, claim: ClaimIn, user: Viewer
) -> list[PreviewOut]:
    """What the claim would match among the watchlist's archived items (nothing is saved)."""
    _known_watchlist(request, key)
    matches = _web(request).editor.preview(key, claim.spec(claim_key))
    return [
        PreviewOut(
            item_id=m.item.id,
            title=m.item.title,
            url=m.item.url,
            source=m.source_name,
            published_at=m.item.published_at,
            score=m.score,
            passage=m.passage,
        )
        for m in matches
    ]


@router.get("/claims/{claim_id}/evidence", response_model=list[EvidenceOut], responses={404: {}})
def claim_evidence(
    request: Request, claim_id: RowId, user: Viewer, limit: Limit = 100, offset: Offset = 0
) -> list[EvidenceOut]:
    """The claim's evidence, newest first."""
    _claim(request, claim_id)
    records = _web(request).repository.evidence_records(claim_id, limit, offset)
    return [EvidenceOut.of(r) for r in records]


@router.get("/evidence", response_model=list[EvidenceOut])
def list_evidence(
    request: Request, user: Viewer, limit: Limit = 100, offset: Offset = 0
) -> list[EvidenceOut]:
    """All evidence, newest first."""
    records = _web(request).repository.evidence_records(None, limit, offset)
    return [EvidenceOut.of(r) for r in records]


@router.get("/sources", response_model=list[SourceOut])
def list_sources(request: Request, user: Viewer) -> list[SourceOut]:
    """Every source with its health."""
    sources = _web(request).repository.sources(include_disabled=True)
    return [SourceOut.of(s) for s in sources]


@router.get("/sources/{source_id}", response_model=SourceOut, responses={404: {}})
def get_source(request: Request, source_id: RowId, user: Viewer) -> SourceOut:
    return SourceOut.of(found(_web(request).repository.find_source(source_id), "source"))


@router.patch("/sources/{source_id}", response_model=SourceOut, responses={404: {}})
def change_source(
    request: Request, source_id: RowId, change: SourceChange, user: Editor
) -> SourceOut:
    """Disable a source, or enable it again (polled at once)."""
    web = _web(request)
    found(web.repository.find_source(source_id), "source")
    return SourceOut.of(web.editor.set_source_enabled(source_id, change.enabled, user.name))


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    request: Request, user: Viewer, status: AlertStatus | None = None, limit: Limit = 100
) -> list[AlertOut]:
    """The newest alerts and their delivery status."""
    alerts = _web(request).repository.alerts(status, limit=limit, newest_first=True)
    return [AlertOut.of(a) for a in alerts]
