"""A claim's page (its evidence timeline, where editors correct a stance; its near misses, which
they accept or dismiss; its edit history) and the claim editor, whose Preview shows what the
claim would match in the archive before it is saved."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from monitor.types import EDITOR_STANCES, ClaimSpec, Review, Role, Stance, User, Verdict
from monitor.watchlists import ClaimSchema
from monitor.web.api.models import ReviewIn, StanceIn
from monitor.web.auth import PageEditor, PageViewer
from monitor.web.context import found, web
from monitor.web.pages.common import Form, RowId, form_page, form_text, page_router, problem
from monitor.web.templating import render, render_error

router = page_router()
NEAR_MISSES_SHOWN = 20  # the most relevant; the rest come up as these are reviewed


def slug(text: str) -> str:
    """A claim id made from its text: lower case words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:60].strip("-") or "claim"


@router.get("/claims/new", response_class=HTMLResponse)
def new_claim(request: Request, user: PageEditor, watchlist: str = "") -> HTMLResponse:
    if watchlist in web(request).repository.watchlist_keys():
        web(request).editor.check_editable(watchlist)
    keys = web(request).editor.editable_keys()
    form = {"watchlist": watchlist if watchlist in keys else (keys[0] if keys else "")}
    return _editor(request, user, Form(form), new=True)


@router.get("/claims/{claim_id}", response_class=HTMLResponse)
def claim_page(request: Request, claim_id: RowId, user: PageViewer) -> HTMLResponse:
    repository = web(request).repository
    claim = found(repository.find_claim(claim_id), "claim")
    near_misses = repository.near_misses(claim_id, limit=NEAR_MISSES_SHOWN)
    waiting = repository.open_near_miss_counts([claim_id]).get(claim_id, 0)
    return render(
        request,
        "claim.html",
        {
            "user": user,
            "claim": claim,
            "evidence": repository.evidence_records(claim_id, limit=200),
            "history": repository.audit_log(20, target=f"claim:{claim.watchlist_key}/{claim.key}"),
            "backfilled": request.query_params.get("backfilled"),
            "can_correct": user.role.allows(Role.EDITOR),
            "stances": EDITOR_STANCES,
            "near_misses": near_misses,
            "more_near_misses": max(0, waiting - len(near_misses)),
        },
    )


@router.post("/claims/{claim_id}/evidence/{evidence_id}/stance")
async def correct_stance(
    request: Request, claim_id: RowId, evidence_id: RowId, user: PageEditor
) -> Response:
    """Set the stance of one piece of the claim's evidence (validated as the API does)."""
    form = await request.form()
    stance = editor_stance(form_text(form, "stance"))
    if isinstance(stance, list):
        return render_error(request, 422, "The stance was not set", stance)
    context = web(request)
    records = context.repository.evidence_records(ids=[evidence_id], limit=1)
    found(next((r for r in records if r.evidence.claim_id == claim_id), None), "evidence")
    context.repository.correct_stance(evidence_id, stance, user.name, context.clock())
    return RedirectResponse(f"/claims/{claim_id}#evidence-{evidence_id}", status_code=303)


@router.post("/claims/{claim_id}/near-misses/{near_miss_id}/review")
async def review_near_miss(
    request: Request, claim_id: RowId, near_miss_id: RowId, user: PageEditor
) -> Response:
    """Accept one of the claim's near misses (the button "Bears on the claim") or dismiss it
    ("Does not"), validated as the API does."""
    form = await request.form()
    review = editor_review(form_text(form, "review"))
    if isinstance(review, list):
        return render_error(request, 422, "The near miss was not reviewed", review)
    context = web(request)
    records = context.repository.near_misses(ids=[near_miss_id], open_only=False, limit=1)
    mine = (r for r in records if r.near_miss.evidence.claim_id == claim_id)
    found(next(mine, None), "near miss")
    record = context.review_near_miss(near_miss_id, review, user.name)
    if record.review is not review:  # another editor got there first
        said = f"{record.review} by {record.reviewed_by}"
        return render_error(request, 409, "The near miss was reviewed already", [said])
    return RedirectResponse(f"/claims/{claim_id}#near-misses", status_code=303)


def editor_review(value: str) -> Review | list[str]:
    """The review an editor chose, or the problems that keep it from being one."""
    try:
        return ReviewIn.model_validate({"review": value}).review
    except ValidationError as err:
        return [problem(error) for error in err.errors()]


def editor_stance(value: str) -> Stance | list[str]:
    """The stance an editor chose, or the problems that keep it from being one."""
    try:
        return StanceIn.model_validate({"stance": value}).value()
    except ValidationError as err:
        return [problem(error) for error in err.errors()]


@router.get("/claims/{claim_id}/edit", response_class=HTMLResponse)
def edit_claim(request: Request, claim_id: RowId, user: PageEditor) -> HTMLResponse:
    claim = found(web(request).repository.find_claim(claim_id), "claim")
    web(request).editor.check_editable(claim.watchlist_key)
    spec = claim.spec
    form = {
        "watchlist": claim.watchlist_key,
        "id": spec.key,
        "text": spec.text,
        "paraphrases": "\n".join(spec.paraphrases),
        "verdict": spec.verdict.value,
        "notes": spec.notes,
        "threshold": "" if spec.threshold is None else str(spec.threshold),
    }
    return _editor(request, user, Form(form), new=False)


@router.post("/claims/save", response_class=HTMLResponse)
async def save_claim(request: Request, user: PageEditor) -> Response:
    """Preview (action=preview) or save (action=save) the claim in the form."""
    form = await request.form()
    fields = {
        name: form_text(form, name)
        for name in ("watchlist", "id", "text", "paraphrases", "verdict", "notes", "threshold")
    }
    new = form_text(form, "new") == "1"
    if new and not fields["id"]:
        fields["id"] = slug(fields["text"])
    problems, spec = claim_spec(fields)
    if spec is None:
        return _editor(request, user, Form(fields, problems), new=new)
    editor = web(request).editor
    if form_text(form, "action") != "save":
        preview = editor.preview(fields["watchlist"], spec)
        return _editor(request, user, Form(fields), new=new, preview=preview)
    if new and any(c.key == spec.key for c in web(request).repository.claims(fields["watchlist"])):
        problems = [f"id: a claim {spec.key!r} already exists in this watchlist"]
        return _editor(request, user, Form(fields, problems), new=new)
    saved = editor.save_claim(fields["watchlist"], spec, user.name)
    target = f"/claims/{saved.claim.id}?backfilled={saved.backfilled}"
    return RedirectResponse(target, status_code=303)


def claim_spec(fields: dict[str, str]) -> tuple[list[str], ClaimSpec | None]:
    """The claim the form describes, validated (with the same messages) by the claim schema
    files and the API use, or the problems that keep it from being one."""
    data = {
        "id": fields["id"],
        "text": fields["text"],
        "paraphrases": [p.strip() for p in fields["paraphrases"].splitlines() if p.strip()],
        "threshold": fields["threshold"] or None,
        "verdict": fields["verdict"] or Verdict.UNVERIFIED.value,
        "notes": fields["notes"],
    }
    try:
        schema = ClaimSchema.model_validate(data)
    except ValidationError as err:
        return [problem(error) for error in err.errors()], None
    return [], schema.spec(schema.id)


def _editor(
    request: Request, user: User, form: Form, *, new: bool, preview: object = None
) -> HTMLResponse:
    return form_page(
        request,
        "claim_form.html",
        user,
        form,
        new=new,
        preview=preview,
        verdicts=list(Verdict),
        watchlists=web(request).editor.editable_keys(),
    )
