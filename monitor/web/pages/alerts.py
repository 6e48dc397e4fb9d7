"""The alerts log: the newest alerts with their delivery status and errors."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from monitor.types import AlertStatus
from monitor.web.auth import PageViewer
from monitor.web.pages.common import page_router, web
from monitor.web.templating import render

router = page_router()


@router.get("/alerts", response_class=HTMLResponse)
def alerts_log(request: Request, user: PageViewer, status: str = "") -> HTMLResponse:
    wanted = AlertStatus(status) if status in set(AlertStatus) else None
    found = web(request).repository.alerts(wanted, limit=200, newest_first=True)
    return render(
        request,
        "alerts.html",
        {"user": user, "alerts": found, "status": wanted, "statuses": list(AlertStatus)},
    )
