"""Sources: the health of every source; add one (after a test fetch), enable or disable it."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from monitor.types import SourceKind, SourceSpec, User
from monitor.watchlists import SourceSchema, format_duration
from monitor.web.auth import PageEditor, PageViewer
from monitor.web.context import found, web
from monitor.web.pages.common import Form, RowId, form_page, form_text, page_router, problem

router = page_router()


@router.get("/sources", response_class=HTMLResponse)
def sources_page(request: Request, user: PageViewer) -> HTMLResponse:
    return _page(request, user, Form())


def _page(request: Request, user: User, form: Form) -> HTMLResponse:
    context = web(request)
    repository = context.repository
    per_day = repository.items_per_day(context.clock(), days=7)
    rows = [
        (source, round(sum(per_day.get(source.id, [])) / 7, 1))
        for source in repository.sources(include_disabled=True)
    ]
    return form_page(
        request,
        "sources.html",
        user,
        form,
        rows=rows,
        kinds=list(SourceKind),
        watchlists=context.editor.editable_keys(),
        added=request.query_params.get("added"),
    )


@router.post("/sources/add", response_class=HTMLResponse)
async def add_source(request: Request, user: PageEditor) -> Response:
    form = await request.form()
    fields = {
        n: form_text(form, n)
        for n in ("watchlist", "name", "url", "kind", "poll_interval", "selector")
    }
    problems, spec = source_spec(fields)
    if spec is None:
        return _page(request, user, Form(fields, problems))
    source = web(request).editor.save_source(fields["watchlist"], spec, user.name)
    return RedirectResponse(f"/sources?added={source.id}", status_code=303)


def source_spec(fields: dict[str, str]) -> tuple[list[str], SourceSpec | None]:
    """The source the form describes, validated as a source in a watchlist file is, or the
    problems that keep it from being one."""
    data = {"name": fields["name"], "url": fields["url"], "kind": fields["kind"] or "feed"}
    if fields["poll_interval"]:
        data["poll_interval"] = fields["poll_interval"]
    if fields["selector"] and data["kind"] == SourceKind.PAGE:  # a feed's is not asked for
        data["selector"] = fields["selector"]
    try:
        return [], SourceSchema.model_validate(data).spec()
    except ValidationError as err:
        return [problem(error) for error in err.errors()], None


@router.post("/sources/{source_id}/enabled")
async def set_enabled(request: Request, source_id: RowId, user: PageEditor) -> RedirectResponse:
    form = await request.form()
    found(web(request).repository.find_source(source_id), "source")
    web(request).editor.set_source_enabled(source_id, form_text(form, "enabled") == "1", user.name)
    return RedirectResponse("/sources", status_code=303)


@router.get("/sources/{source_id}/edit", response_class=HTMLResponse)
def edit_source(request: Request, source_id: RowId, user: PageEditor) -> HTMLResponse:
    source = found(web(request).repository.find_source(source_id), "source")
    web(request).editor.check_source_editable(source_id)
    form = {
        "name": source.name,
        "url": source.url,
        "kind": source.kind.value,
        "poll_interval": format_duration(source.poll_interval),
        "selector": source.selector or "",
    }
    return _edit_page(request, user, source_id, Form(form))


def _edit_page(request: Request, user: User, source_id: int, form: Form) -> HTMLResponse:
    kinds = list(SourceKind)
    return form_page(request, "source_form.html", user, form, source_id=source_id, kinds=kinds)


@router.post("/sources/{source_id}/edit", response_class=HTMLResponse)
async def save_source(request: Request, source_id: RowId, user: PageEditor) -> Response:
    found(web(request).repository.find_source(source_id), "source")
    form = await request.form()
    fields = {n: form_text(form, n) for n in ("name", "url", "kind", "poll_interval", "selector")}
    problems, spec = source_spec(fields)
    if spec is None:
        return _edit_page(request, user, source_id, Form(fields, problems))
    source = web(request).editor.update_source(source_id, spec, user.name)
    return RedirectResponse(f"/sources#source-{source.id}", status_code=303)
