"""What the page modules share: the router they are built on and the context they read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from starlette.datastructures import FormData

from monitor.web.auth import csrf_protect

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # what every database can hold


def page_router() -> APIRouter:
    """A router for pages: hidden from the API schema, every POST checked for CSRF."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def form_text(form: FormData, name: str) -> str:
    """A form field as text ('' when missing or a file)."""
    value = form.get(name)
    # NUL bytes go: no PostgreSQL text column (nor a YAML file) takes them.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""
