"""The web UI's pages, one module per page; every form POST is checked for its CSRF token."""

from __future__ import annotations

from fastapi import APIRouter

from monitor.web.pages import alerts, claims, dashboard, sources, users, watchlists


def routers() -> list[APIRouter]:
    return [
        dashboard.router,
        watchlists.router,
        claims.router,
        sources.router,
        alerts.router,
        users.router,
    ]
