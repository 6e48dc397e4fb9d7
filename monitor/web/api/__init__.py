"""The REST API (``/api/v1``): watchlists, claims, sources, evidence, alerts; bearer tokens.

Its OpenAPI schema is served at ``/api/v1/openapi.json``. Viewers read; editors also create
watchlists and change or remove claims and sources, through the same
:class:`~monitor.editing.Editor` as the web UI. One module per resource (``watchlists``,
``claims``, ``sources``), the models in ``models``, what they share in ``common``.
"""

from __future__ import annotations

from fastapi import APIRouter

from monitor.web.api import claims, sources, watchlists

router = APIRouter(prefix="/api/v1", tags=["api"])
router.include_router(watchlists.router)
router.include_router(claims.router)
router.include_router(sources.router)

__all__ = ["router"]
