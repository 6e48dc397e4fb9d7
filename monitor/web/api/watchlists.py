"""Watchlists: list, read, create, change settings, remove a claim or a source."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from monitor.editing import WatchlistSettings
from monitor.web.api.common import (
    ClaimKey,
    RowId,
    WatchlistKey,
    editable_watchlist,
    known_watchlist,
)
from monitor.web.api.models import (
    ClaimOut,
    QuietHoursOut,
    WatchlistChange,
    WatchlistIn,
    WatchlistOut,
)
from monitor.web.auth import ApiEditor, ApiViewer
from monitor.web.context import found, web

router = APIRouter()


@router.get("/watchlists", response_model=list[WatchlistOut])
def list_watchlists(request: Request, user: ApiViewer) -> list[WatchlistOut]:
    """Every active watchlist with its claims and sources."""
    repository = web(request).repository
    found = []
    for key in repository.watchlist_keys():
        watchlist = repository.watchlist(key)
        if watchlist is not None:
            found.append(_watchlist_out(request, key))
    return found


@router.get("/watchlists/{key}", response_model=WatchlistOut, responses={404: {}})
def get_watchlist(request: Request, key: WatchlistKey, user: ApiViewer) -> WatchlistOut:
    known_watchlist(request, key)
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
def create_watchlist(request: Request, new: WatchlistIn, user: ApiEditor) -> WatchlistOut:
    """Create a watchlist file (``<key>.yaml``) with its first source (test-fetched first) and
    its first claim (backfilled from the archive, without alerts)."""
    blank = WatchlistSettings(new.name, new.slack_channel)
    settings = new.settings(blank)
    claim = new.claim.spec(new.claim.key)
    web(request).editor.create_watchlist(new.key, settings, new.source.spec(), claim, user.name)
    return _watchlist_out(request, new.key)


@router.patch(
    "/watchlists/{key}", response_model=WatchlistOut, responses={404: {}, 409: {}, 422: {}}
)
def change_watchlist(
    request: Request, key: WatchlistKey, change: WatchlistChange, user: ApiEditor
) -> WatchlistOut:
    """Change a watchlist's own settings (written to its file, audited)."""
    editable_watchlist(request, key)
    editor = web(request).editor
    editor.update_watchlist(key, change.settings(editor.watchlist_settings(key)), user.name)
    return _watchlist_out(request, key)


@router.delete(
    "/watchlists/{key}/claims/{claim_key}",
    status_code=204,
    responses={404: {}, 409: {}, 422: {"description": "The watchlist's only claim."}},
)
def delete_claim(
    request: Request, key: WatchlistKey, claim_key: ClaimKey, user: ApiEditor
) -> Response:
    """Remove a claim from its watchlist file: it stops matching; its evidence stays."""
    editable_watchlist(request, key)
    context = web(request)
    found(next((c for c in context.repository.claims(key) if c.key == claim_key), None), "claim")
    context.editor.remove_claim(key, claim_key, user.name)
    return Response(status_code=204)


@router.delete(
    "/watchlists/{key}/sources/{source_id}",
    status_code=204,
    responses={404: {}, 409: {}, 422: {"description": "The watchlist's only source."}},
)
def delete_source(
    request: Request, key: WatchlistKey, source_id: RowId, user: ApiEditor
) -> Response:
    """Stop a watchlist reading a source (removed from its file); the source's items and their
    evidence stay, and it is no longer polled unless another watchlist reads it."""
    editable_watchlist(request, key)
    context = web(request)
    if source_id not in context.repository.watchlist_source_ids(key):
        raise HTTPException(404, "no such source in this watchlist")
    context.editor.remove_source(key, source_id, user.name)
    return Response(status_code=204)


def _watchlist_out(request: Request, key: str) -> WatchlistOut:
    repository = web(request).repository
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
            QuietHoursOut(start=f"{quiet.start:%H:%M}", end=f"{quiet.end:%H:%M}") if quiet else None
        ),
        per_claim_per_hour=watchlist.alerts.per_claim_per_hour,
        per_channel_per_hour=watchlist.alerts.per_channel_per_hour,
        claims=[ClaimOut.of(c) for c in repository.claims(key)],
        sources=[s.url for s in watchlist.sources],
        read_only=web(request).editor.read_only_reason(key),
        sync_refused=repository.sync_refusals().get(key),
    )
