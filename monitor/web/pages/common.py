"""What the page modules share: the router they are built on and the context they read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from monitor.types import User
from monitor.web.auth import csrf_protect
from monitor.web.templating import render

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # what every database can hold


def page_router() -> APIRouter:
    """A router for pages: hidden from the API schema, every POST checked for CSRF."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def form_text(form: FormData, name: str) -> str:
    """A form field as text ('' when missing or a file)."""
    value = form.get(name)
    # NUL bytes go: no PostgreSQL text column (nor a YAML file) takes them.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def problem(error: ErrorDetails, field: str | None = None) -> str:
    """One of the schema's problems as a form shows it: the field (as the form names it; by
    default the schema's), then the schema's own message, the one files and the API give."""
    name = str(error["loc"][0]) if field is None and error["loc"] else field
    return f"{name}: {error['msg']}" if name else error["msg"]


@dataclass(frozen=True)
class Form:
    """A form as its page shows it: the fields (as typed, or as stored) and the problems that
    kept it from being saved."""

    fields: Mapping[str, str] = field(default_factory=dict)
    problems: Sequence[str] = ()


def form_page(
    request: Request, template: str, user: User, form: Form, **context: Any
) -> HTMLResponse:
    """A page with a form: 200, or 422 with the problems that kept the form from being saved."""
    page = {"user": user, "form": dict(form.fields), "problems": list(form.problems), **context}
    return render(request, template, page, 422 if form.problems else 200)
