"""Sources (list, read, enable or disable) and the alerts in the outbox."""

from __future__ import annotations

from fastapi import APIRouter, Request

from monitor.types import AlertStatus
from monitor.web.api.common import Limit, RowId
from monitor.web.api.models import AlertOut, SourceChange, SourceOut
from monitor.web.auth import ApiEditor, ApiViewer
from monitor.web.context import found, web

router = APIRouter()


@router.get("/sources", response_model=list[SourceOut])
def list_sources(request: Request, user: ApiViewer) -> list[SourceOut]:
    """Every source with its health."""
    sources = web(request).repository.sources(include_disabled=True)
    return [SourceOut.of(s) for s in sources]


@router.get("/sources/{source_id}", response_model=SourceOut, responses={404: {}})
def get_source(request: Request, source_id: RowId, user: ApiViewer) -> SourceOut:
    return SourceOut.of(found(web(request).repository.find_source(source_id), "source"))


@router.patch("/sources/{source_id}", response_model=SourceOut, responses={404: {}})
def change_source(
    request: Request, source_id: RowId, change: SourceChange, user: ApiEditor
) -> SourceOut:
    """Disable a source, or enable it again (polled at once)."""
    context = web(request)
    found(context.repository.find_source(source_id), "source")
    return SourceOut.of(context.editor.set_source_enabled(source_id, change.enabled, user.name))


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    request: Request, user: ApiViewer, status: AlertStatus | None = None, limit: Limit = 100
) -> list[AlertOut]:
    """The newest alerts and their delivery status."""
    alerts = web(request).repository.alerts(status, limit=limit, newest_first=True)
    return [AlertOut.of(a) for a in alerts]
