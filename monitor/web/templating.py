"""Jinja2 templates: every value is escaped; links from feeds are kept only if http(s)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from monitor.ingest.urls import http_url
from monitor.web.auth import csrf_token
from monitor.wording import MEANING, first_upper, held_by, reported_phrase

TEMPLATES = Path(__file__).parent / "templates"


def safe_url(value: object) -> str:
    """``value`` if it is an http(s) link (:func:`~monitor.ingest.urls.http_url`), else ``#``:
    a feed's ``javascript:`` link stays dead."""
    return http_url(value) or "#"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"


templates = Jinja2Templates(directory=TEMPLATES)  # autoescapes .html templates
templates.env.filters["safe_url"] = safe_url
templates.env.filters["when"] = when
templates.env.filters["held_by"] = held_by
templates.env.filters["reported_phrase"] = reported_phrase
templates.env.filters["capitalize_first"] = first_upper
templates.env.globals["stance_meaning"] = {s.value: words for s, words in MEANING.items()}


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page, with the signed-in user (if any), the session's CSRF token and, for a signed-in
    user, any watchlist sync refused for carrying an older copy (a banner on every page)."""
    page = {"csrf_token": csrf_token(request), "user": None, **context}
    web = getattr(request.app.state, "web", None)
    if page["user"] is not None and web is not None:
        page["sync_refusals"] = web.repository.sync_refusals()
    return templates.TemplateResponse(request, name, page, status_code=status_code)


def render_error(
    request: Request, status_code: int, title: str, problems: list[str]
) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "problems": problems}, status_code)
