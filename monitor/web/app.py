"""The service's one HTTP server: the web UI, the REST API, the WebSub (and Slack) endpoints.

:func:`create_app` builds the FastAPI application from a :class:`WebContext` (what the pages
and the API work with); ``monitor run`` serves it beside the scheduler, ``monitor web`` alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from monitor import __version__
from monitor.errors import (
    EditConflict,
    FetchError,
    ParseError,
    ReadOnlyWatchlist,
    WatchlistError,
)
from monitor.web.auth import LoginRequired
from monitor.web.context import WebContext
from monitor.web.templating import render_error

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "monitor_session"
# Pages load nothing from elsewhere and run no script at all.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def create_app(web: WebContext) -> FastAPI:
    """The FastAPI application: pages, /api/v1, /websub/<source id>, /slack/actions,
    /metrics."""
    from monitor.web import api, pages, websub
    from monitor.web.metrics import metrics_router
    from monitor.web.slack import slack_router

    app = FastAPI(
        title="monitor",
        version=__version__,
        description="Watchlists, claims, sources, evidence and alerts of a newsroom monitor.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.web = web
    app.add_middleware(
        SessionMiddleware,
        secret_key=web.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=int(web.session_lifetime.total_seconds()),
        same_site="lax",
        https_only=web.secure_cookies,
    )
    app.middleware("http")(_security_headers)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in pages.routers():
        app.include_router(router)
    app.include_router(api.router)
    app.include_router(
        websub.websub_router(web.repository, web.clock, web.on_new_items, web.max_push_bytes)
    )
    if web.feedback is not None:
        app.include_router(slack_router(web.feedback))
    app.include_router(metrics_router(web.repository, web.clock, web.metrics_access))
    _handle_errors(app)
    return app


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    if "\x00" in request.url.path or b"%00" in request.scope.get("query_string", b""):
        # No text column of PostgreSQL takes a NUL byte: refuse it before any query does.
        return JSONResponse({"detail": "NUL bytes are not allowed"}, status_code=400)
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith("/api/v1/docs"):
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(WatchlistError)
    async def watchlist_refused(request: Request, err: WatchlistError) -> Response:
        problems = [f"{p.where}: {p.message}" if p.where else p.message for p in err.problems]
        # Read-only, or raced by a hand edit: nothing in the request was wrong.
        status = 409 if isinstance(err, ReadOnlyWatchlist | EditConflict) else 422
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=status)
        title = (
            "This watchlist is not edited here"
            if isinstance(err, ReadOnlyWatchlist)
            else "The change was not saved"
        )
        return render_error(request, status, title, problems)

    @app.exception_handler(FetchError)
    @app.exception_handler(ParseError)
    async def source_refused(request: Request, err: Exception) -> Response:
        message = f"the test fetch failed: {err}"
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=422)
        return render_error(request, 422, "The source was not saved", [message])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        if _is_api(request) or request.url.path.startswith(("/websub/", "/slack/")):
            return JSONResponse(
                {"detail": err.detail}, status_code=err.status_code, headers=err.headers
            )
        return render_error(request, err.status_code, "Not possible", [str(err.detail)])

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in err.errors()]
        if _is_api(request):
            return JSONResponse({"detail": problems}, status_code=422)
        return render_error(request, 422, "Please check the form", problems)
