"""Claims: list, read, add or change (with backfill), preview; their evidence, whose stance
editors correct; their near misses, which editors accept or dismiss."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from monitor.errors import NotFoundError
from monitor.web.api.common import (
    ClaimKey,
    Limit,
    Offset,
    RowId,
    WatchlistKey,
    claim_or_404,
    editable_watchlist,
    known_watchlist,
)
from monitor.web.api.models import (
    ClaimIn,
    ClaimOut,
    EvidenceOut,
    NearMissOut,
    PreviewOut,
    ReviewIn,
    SavedClaimOut,
    StanceIn,
)
from monitor.web.auth import ApiEditor, ApiViewer
from monitor.web.context import web

router = APIRouter()


@router.get("/claims", response_model=list[ClaimOut])
def list_claims(
    request: Request,
    user: ApiViewer,
    watchlist: Annotated[str | None, Query(max_length=200)] = None,
) -> list[ClaimOut]:
    """Active claims, of one watchlist when given."""
    return [ClaimOut.of(c) for c in web(request).repository.claims(watchlist)]


@router.get("/claims/{claim_id}", response_model=ClaimOut, responses={404: {}})
def getclaim_or_404(request: Request, claim_id: RowId, user: ApiViewer) -> ClaimOut:
    return ClaimOut.of(claim_or_404(request, claim_id))


@router.put(
    "/watchlists/{key}/claims/{claim_key}",
    response_model=SavedClaimOut,
    responses={404: {}, 409: {"description": "Not edited here, or raced by a hand edit."}, 422: {}},
)
def put_claim(
    request: Request, key: WatchlistKey, claim_key: ClaimKey, claim: ClaimIn, user: ApiEditor
) -> SavedClaimOut:
    """Add or change a claim (written to its watchlist file, audited); what it matches in the
    archive is recorded as evidence without alerts."""
    editable_watchlist(request, key)
    saved = web(request).editor.save_claim(key, claim.spec(claim_key), user.name)
    return SavedClaimOut(claim=ClaimOut.of(saved.claim), backfilled=saved.backfilled)


@router.post(
    "/watchlists/{key}/claims/{claim_key}/preview",
    response_model=list[PreviewOut],
    responses={404: {}},
)
def preview_claim(
    request: Request, key: WatchlistKey, claim_key: ClaimKey, claim: ClaimIn, user: ApiViewer
) -> list[PreviewOut]:
    """What the claim would match among the watchlist's archived items (nothing is saved)."""
    known_watchlist(request, key)
    matches = web(request).editor.preview(key, claim.spec(claim_key))
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
    request: Request, claim_id: RowId, user: ApiViewer, limit: Limit = 100, offset: Offset = 0
) -> list[EvidenceOut]:
    """The claim's evidence, newest first."""
    claim_or_404(request, claim_id)
    records = web(request).repository.evidence_records(claim_id, limit, offset)
    return [EvidenceOut.of(r) for r in records]


@router.get("/evidence", response_model=list[EvidenceOut])
def list_evidence(
    request: Request, user: ApiViewer, limit: Limit = 100, offset: Offset = 0
) -> list[EvidenceOut]:
    """All evidence, newest first."""
    records = web(request).repository.evidence_records(None, limit, offset)
    return [EvidenceOut.of(r) for r in records]


@router.put(
    "/evidence/{evidence_id}/stance",
    response_model=EvidenceOut,
    responses={404: {}, 422: {"description": "Not a stance an editor sets."}},
)
def correct_stance(
    request: Request, evidence_id: RowId, change: StanceIn, user: ApiEditor
) -> EvidenceOut:
    """Set the evidence's stance (the model's reading is kept beside it; setting the model's
    own stance again clears the correction)."""
    context = web(request)
    try:
        record = context.repository.correct_stance(
            evidence_id, change.value(), user.name, context.clock()
        )
    except NotFoundError as err:
        raise HTTPException(404, "no such evidence") from err
    return EvidenceOut.of(record)


@router.get("/claims/{claim_id}/near-misses", response_model=list[NearMissOut], responses={404: {}})
def claim_near_misses(
    request: Request,
    claim_id: RowId,
    user: ApiViewer,
    include_reviewed: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[NearMissOut]:
    """The claim's near misses (candidates just under its bar), most relevant first: those
    nobody has reviewed, or all of them with ``include_reviewed``."""
    claim_or_404(request, claim_id)
    records = web(request).repository.near_misses(
        claim_id, open_only=not include_reviewed, limit=limit, offset=offset
    )
    return [NearMissOut.of(r) for r in records]


@router.post(
    "/near-misses/{near_miss_id}/review",
    response_model=NearMissOut,
    responses={
        404: {},
        409: {"description": "Another editor reviewed it the other way first."},
        422: {"description": "Neither accepted nor dismissed."},
    },
)
def review_near_miss(
    request: Request, near_miss_id: RowId, body: ReviewIn, user: ApiEditor
) -> NearMissOut:
    """Accept the near miss (it is recorded as evidence, without an alert, and its claim's
    threshold is lowered a step) or dismiss it. The first review stands: the same review again
    returns the near miss as it is, the other one is refused (409)."""
    try:
        record = web(request).review_near_miss(near_miss_id, body.review, user.name)
    except NotFoundError as err:
        raise HTTPException(404, "no such near miss") from err
    if record.review is not body.review:
        raise HTTPException(409, f"already {record.review} by {record.reviewed_by}")
    return NearMissOut.of(record)
