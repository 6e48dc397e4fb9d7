"""Watchlists: the list, one watchlist's settings, sources and claims; create a watchlist (with
its first source and claim), change its settings, remove a claim or a source (after a
confirmation page: no script asks "are you sure?")."""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from monitor.editing import WATCHLIST_KEY, WatchlistSettings
from monitor.errors import FetchError, ParseError, WatchlistError
from monitor.types import ClaimSpec, SourceKind, User, Verdict, Watchlist
from monitor.web.auth import PageEditor, PageViewer
from monitor.web.context import found, web
from monitor.web.pages import claims, sources
from monitor.web.pages.common import Form, RowId, form_page, form_text, page_router, problem
from monitor.web.templating import render

router = page_router()
SETTINGS = (
    "name",
    "slack_channel",
    "description",
    "timezone",
    "digest_recipients",
    "digest_send_at",
    "quiet_start",
    "quiet_end",
    "per_claim_per_hour",
    "per_channel_per_hour",
)
NEW = ("key", "source_name", "source_url", "source_kind", "source_poll_interval")
NEW_CLAIM = ("claim_id", "claim_text", "claim_paraphrases")


@router.get("/watchlists", response_class=HTMLResponse)
def watchlists_page(request: Request, user: PageViewer) -> HTMLResponse:
    repository = web(request).repository
    found = [repository.watchlist(key) for key in repository.watchlist_keys()]
    rows = [watchlist for watchlist in found if watchlist is not None]
    context = {"user": user, "rows": rows, "removed": request.query_params.get("removed")}
    return render(request, "watchlists.html", context)


@router.get("/watchlists/new", response_class=HTMLResponse)
def new_watchlist(request: Request, user: PageEditor) -> HTMLResponse:
    form = {"timezone": "UTC", "digest_send_at": "07:00", "source_poll_interval": "15m"}
    return _new_page(request, user, Form(form | _limits(WatchlistSettings("", ""))))


@router.post("/watchlists", response_class=HTMLResponse)
async def create_watchlist(request: Request, user: PageEditor) -> Response:
    """Create a watchlist file with its first source (test-fetched) and its first claim."""
    form = await request.form()
    fields = {name: form_text(form, name) for name in (*SETTINGS, *NEW, *NEW_CLAIM)}
    problems, settings = _settings(fields)
    source_problems, source = sources.source_spec(_unprefixed(fields, "source_"))
    problems += [f"source_{problem}" for problem in source_problems]
    claim_problems, claim = _first_claim(fields)
    problems += claim_problems
    if not WATCHLIST_KEY.match(fields["key"]):
        problems.insert(0, "key: lower-case letters, digits, - and _ (it names the file)")
    if settings is None or source is None or claim is None or problems:
        return _new_page(request, user, Form(fields, problems))
    try:
        web(request).editor.create_watchlist(fields["key"], settings, source, claim, user.name)
    except WatchlistError as err:
        return _new_page(request, user, Form(fields, _problems(err)))
    except (FetchError, ParseError) as err:
        problems = [f"source_url: the test fetch failed: {err}"]
        return _new_page(request, user, Form(fields, problems))
    return RedirectResponse(f"/watchlists/{fields['key']}?created=1", status_code=303)


@router.get("/watchlists/{key}", response_class=HTMLResponse)
def watchlist_page(request: Request, key: str, user: PageViewer) -> HTMLResponse:
    watchlist = _stored(request, key)
    return _page(request, user, watchlist, Form(_form(WatchlistSettings.of(watchlist))))


@router.post("/watchlists/{key}/settings", response_class=HTMLResponse)
async def save_settings(request: Request, key: str, user: PageEditor) -> Response:
    watchlist = _stored(request, key)
    form = await request.form()
    fields = {name: form_text(form, name) for name in SETTINGS}
    problems, settings = _settings(fields)
    if settings is None:
        return _page(request, user, watchlist, Form(fields, problems))
    try:
        web(request).editor.update_watchlist(key, settings, user.name)
    except WatchlistError as err:
        return _page(request, user, watchlist, Form(fields, _problems(err)))
    return RedirectResponse(f"/watchlists/{key}?saved=1", status_code=303)


@router.get("/watchlists/{key}/claims/{claim_key}/remove", response_class=HTMLResponse)
def confirm_claim_removal(
    request: Request, key: str, claim_key: str, user: PageEditor
) -> HTMLResponse:
    watchlist = _editable(request, key)
    claim = next((c for c in web(request).repository.claims(key) if c.key == claim_key), None)
    if claim is None:
        raise HTTPException(404, "no such claim in this watchlist")
    last = len(watchlist.claims) == 1
    return _confirm_removal(request, user, watchlist, "claim", claim.text, last)


@router.post("/watchlists/{key}/claims/{claim_key}/remove")
def remove_claim(request: Request, key: str, claim_key: str, user: PageEditor) -> Response:
    _stored(request, key)
    web(request).editor.remove_claim(key, claim_key, user.name)
    return RedirectResponse(f"/watchlists/{key}?removed=claim", status_code=303)


@router.get("/watchlists/{key}/sources/{source_id}/remove", response_class=HTMLResponse)
def confirm_source_removal(
    request: Request, key: str, source_id: RowId, user: PageEditor
) -> HTMLResponse:
    watchlist = _editable(request, key)
    repository = web(request).repository
    source = repository.find_source(source_id)
    if source is None or source_id not in repository.watchlist_source_ids(key):
        raise HTTPException(404, "this watchlist does not read that source")
    shared = [
        other
        for other in repository.watchlist_keys()
        if other != key
        and source_id in repository.watchlist_source_ids(other)
        and repository.watchlist(other) is not None  # active
    ]
    name, last = f"{source.name} ({source.url})", len(watchlist.sources) == 1
    return _confirm_removal(request, user, watchlist, "source", name, last, shared=shared)


@router.post("/watchlists/{key}/sources/{source_id}/remove")
def remove_source(request: Request, key: str, source_id: RowId, user: PageEditor) -> Response:
    _stored(request, key)
    web(request).editor.remove_source(key, source_id, user.name)
    return RedirectResponse(f"/watchlists/{key}?removed=source", status_code=303)


def _stored(request: Request, key: str) -> Watchlist:
    return found(web(request).repository.watchlist(key), "watchlist")


def _editable(request: Request, key: str) -> Watchlist:
    """The watchlist, if it exists (404) and is edited here (409 before any form is shown)."""
    watchlist = _stored(request, key)
    web(request).editor.check_editable(key)
    return watchlist


def _confirm_removal(
    request: Request,
    user: User,
    watchlist: Watchlist,
    what: str,
    name: str,
    last: bool,
    **more: Any,
) -> HTMLResponse:
    """The page that asks before a claim or a source leaves ``watchlist``; its form posts to
    the page's own address."""
    context = {"user": user, "watchlist": watchlist, "what": what, "name": name, "last": last}
    return render(request, "remove.html", context | {"action": request.url.path, **more})


def _page(request: Request, user: User, watchlist: Watchlist, form: Form) -> HTMLResponse:
    repository = web(request).repository
    ids = set(repository.watchlist_source_ids(watchlist.key))
    return form_page(
        request,
        "watchlist.html",
        user,
        form,
        watchlist=watchlist,
        sources=[s for s in repository.sources(include_disabled=True) if s.id in ids],
        claims=repository.claims(watchlist.key),
        created=request.query_params.get("created"),
        saved=request.query_params.get("saved"),
        removed=request.query_params.get("removed"),
        read_only=web(request).editor.read_only_reason(watchlist.key),
        sync_refused=repository.sync_refusals().get(watchlist.key),
    )


def _new_page(request: Request, user: User, form: Form) -> HTMLResponse:
    return form_page(request, "watchlist_new.html", user, form, kinds=list(SourceKind))


def _form(settings: WatchlistSettings) -> dict[str, str]:
    quiet = settings.quiet_hours
    return {
        "name": settings.name,
        "slack_channel": settings.slack_channel,
        "description": settings.description,
        "timezone": settings.timezone,
        "digest_recipients": "\n".join(settings.digest_recipients),
        "digest_send_at": settings.digest_send_at.strftime("%H:%M"),
        "quiet_start": quiet.start.strftime("%H:%M") if quiet else "",
        "quiet_end": quiet.end.strftime("%H:%M") if quiet else "",
    } | _limits(settings)


def _limits(settings: WatchlistSettings) -> dict[str, str]:
    return {
        "per_claim_per_hour": str(settings.per_claim_per_hour),
        "per_channel_per_hour": str(settings.per_channel_per_hour),
    }


def _settings(fields: dict[str, str]) -> tuple[list[str], WatchlistSettings | None]:
    """The settings the form gives, validated as the API's and a file's are (the same
    messages); the watchlist schema checks the whole file again when it is saved."""
    quiet = {"start": fields["quiet_start"], "end": fields["quiet_end"]}
    data = {
        "name": fields["name"],
        "slack_channel": fields["slack_channel"],
        "description": fields["description"],
        "digest_recipients": [r for r in re.split(r"[\s,;]+", fields["digest_recipients"]) if r],
        "quiet_hours": quiet if any(quiet.values()) else None,
    }
    defaulted = ("timezone", "digest_send_at", "per_claim_per_hour", "per_channel_per_hour")
    data |= {name: fields[name] for name in defaulted if fields[name]}  # empty: the default
    try:
        return [], WatchlistSettings.validated(data)
    except ValidationError as err:
        return [_problem(error) for error in err.errors()], None


def _problem(error: ErrorDetails) -> str:
    """A problem named by its form field (``quiet_hours.end`` is the field ``quiet_end``)."""
    loc = [str(part) for part in error["loc"]]
    quiet = loc[:1] == ["quiet_hours"] and len(loc) > 1
    return problem(error, f"quiet_{loc[1]}" if quiet else None)


def _first_claim(fields: dict[str, str]) -> tuple[list[str], ClaimSpec | None]:
    claim_fields = {
        "id": fields["claim_id"] or claims.slug(fields["claim_text"]),
        "text": fields["claim_text"],
        "paraphrases": fields["claim_paraphrases"],
        "verdict": Verdict.UNVERIFIED.value,
        "notes": "",
        "threshold": "",
    }
    problems, spec = claims.claim_spec(claim_fields)
    return [f"claim_{problem}" for problem in problems], spec


def _unprefixed(fields: dict[str, str], prefix: str) -> dict[str, str]:
    found = {name.removeprefix(prefix): v for name, v in fields.items() if name.startswith(prefix)}
    return found | {"selector": ""}


def _problems(err: WatchlistError) -> list[str]:
    return [f"{p.where}: {p.message}" if p.where else p.message for p in err.problems]
