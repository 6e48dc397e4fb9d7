"""The alerts log: the newest alerts with their delivery status and errors; channels waiting
for a fix; admins send failed alerts again."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from monitor.notify.outbox import waiting_for_a_fix
from monitor.types import AlertStatus, Role
from monitor.web.auth import PageAdmin, PageViewer
from monitor.web.context import web
from monitor.web.pages.common import form_text, page_router
from monitor.web.templating import render

router = page_router()


@router.get("/alerts", response_class=HTMLResponse)
def alerts_log(request: Request, user: PageViewer, status: str = "") -> HTMLResponse:
    wanted = AlertStatus(status) if status in set(AlertStatus) else None
    repository = web(request).repository
    found = repository.alerts(wanted, limit=200, newest_first=True)
    paused = waiting_for_a_fix(repository.alerts(AlertStatus.PENDING, limit=1000))
    context = {
        "user": user,
        "alerts": found,
        "status": wanted,
        "statuses": list(AlertStatus),
        "paused": paused,
        "can_resend": user.role.allows(Role.ADMIN),
    }
    return render(request, "alerts.html", context)


@router.post("/alerts/resend")
async def resend(request: Request, user: PageAdmin) -> RedirectResponse:
    """Failed alerts back to pending: the one given (``alert_id``), else every failed one."""
    form = await request.form()
    given = form_text(form, "alert_id")
    ids = [int(given)] if given.isdigit() and len(given) < 10 else None
    context = web(request)
    resent = context.repository.resend_alerts(ids)
    if resent:
        context.repository.record_audit(
            user.name, "alert.resend", "alerts", None, {"alerts": resent}, context.clock()
        )
    return RedirectResponse("/alerts?status=pending", status_code=303)
