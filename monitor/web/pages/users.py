"""Signing in and out, the user's own API tokens, user management (admins), the audit log."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.errors import StorageError
from monitor.types import Role, User
from monitor.web.auth import (
    MIN_PASSWORD,
    PageAdmin,
    PageViewer,
    check_password,
    end_session,
    hash_password,
    new_api_token,
    sign_in,
    token_hash,
)
from monitor.web.context import web
from monitor.web.pages.common import RowId, form_text, page_router
from monitor.web.templating import render

router = page_router()


def _local(target: str) -> str:
    """Only paths on this site are followed after signing in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": _local(next), "failed": False})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    name = form_text(form, "name")
    target = _local(form_text(form, "next") or "/")
    throttle, now = web(request).login_throttle, web(request).clock()
    keys = [f"name:{name.lower()}", f"address:{request.client.host if request.client else ''}"]
    if wait := throttle.retry_after(keys, now):
        minutes = max(1, round(wait.total_seconds() / 60))
        context = {"next": target, "failed": False, "blocked_minutes": minutes}
        response = render(request, "login.html", context, 429)
        response.headers["Retry-After"] = str(int(wait.total_seconds()) + 1)
        return response
    found = check_password(request, name, str(form.get("password") or ""))
    if found is None:
        throttle.failed(keys, now)
        return render(request, "login.html", {"next": target, "failed": True}, 401)
    throttle.succeeded(keys)
    sign_in(request, *found)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: PageViewer) -> HTMLResponse:
    return _account(request, user, None)


def _account(
    request: Request,
    user: User,
    new_token: str | None,
    problems: list[str] | None = None,
    status: int = 200,
    *,
    password_changed: bool = False,
) -> HTMLResponse:
    tokens = web(request).repository.api_tokens(user.id)
    context = {
        "user": user,
        "tokens": tokens,
        "new_token": new_token,
        "problems": problems or [],
        "password_changed": password_changed,
        "min_password": MIN_PASSWORD,
    }
    return render(request, "account.html", context, status)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, user: PageViewer) -> HTMLResponse:
    """Change your own password: the current one, the new one twice. Every other session of
    yours ends (this one goes on)."""
    form = await request.form()
    context = web(request)
    throttle, now, keys = context.login_throttle, context.clock(), [f"password:{user.id}"]
    if wait := throttle.retry_after(keys, now):
        minutes = max(1, round(wait.total_seconds() / 60))
        problems = [f"current_password: too many wrong tries, wait {minutes} minutes"]
        return _account(request, user, None, problems, 429)
    new = str(form.get("new_password") or "")
    problems = _password_problems("new_password", new)
    if new != str(form.get("new_password_again") or ""):
        problems.append("new_password_again: the two new passwords differ")
    if check_password(request, user.name, str(form.get("current_password") or "")) is None:
        throttle.failed(keys, now)
        problems.insert(0, "current_password: that is not your current password")
    if problems:
        return _account(request, user, None, problems, 422)
    throttle.succeeded(keys)
    password_hash = hash_password(new)
    context.repository.update_user(user.name, password_hash=password_hash)
    context.repository.record_audit(
        user.name, "user.password", f"user:{user.name}", None, None, context.clock()
    )
    sign_in(request, user, password_hash)
    return _account(request, user, None, password_changed=True)


def _password_problems(field: str, password: str) -> list[str]:
    if len(password) < MIN_PASSWORD:
        return [f"{field}: at least {MIN_PASSWORD} characters"]
    if len(password) > 1000:
        return [f"{field}: at most 1000 characters"]
    return []


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request, user: PageViewer) -> HTMLResponse:
    form = await request.form()
    context = web(request)
    token = new_api_token()
    name = form_text(form, "name")[:200] or "API token"
    context.repository.add_api_token(user.id, name, token_hash(token), context.clock())
    context.repository.record_audit(
        user.name, "token.create", f"user:{user.name}", None, {"token": name}, context.clock()
    )
    return _account(request, user, token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: RowId, user: PageViewer) -> Response:
    context = web(request)
    if context.repository.revoke_api_token(user.id, token_id):
        context.repository.record_audit(
            user.name,
            "token.revoke",
            f"user:{user.name}",
            {"token": token_id},
            None,
            context.clock(),
        )
    return RedirectResponse("/account", status_code=303)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: PageAdmin) -> HTMLResponse:
    return _users(request, user, [])


def _users(request: Request, user: User, problems: list[str], status: int = 200) -> HTMLResponse:
    found = web(request).repository.users()
    context = {
        "user": user,
        "users": found,
        "roles": list(Role),
        "problems": problems,
        "reset": request.query_params.get("reset"),
    }
    return render(request, "users.html", context, status)


@router.post("/users", response_class=HTMLResponse)
async def add_user(request: Request, user: PageAdmin) -> Response:
    form = await request.form()
    name, password = form_text(form, "name"), str(form.get("password") or "")
    problems = []
    if not name or len(name) > 100:
        problems.append("name: 1 to 100 characters")
    problems.extend(_password_problems("password", password))
    role = form_text(form, "role")
    if role not in set(Role):
        problems.append("role: viewer, editor or admin")
    context = web(request)
    if not problems and context.repository.user_credentials(name) is not None:
        problems.append(f"name: {name!r} is taken")
    if problems:
        return _users(request, user, problems, 422)
    context.repository.add_user(name, hash_password(password), Role(role), context.clock())
    context.repository.record_audit(
        user.name, "user.create", f"user:{name}", None, {"role": role}, context.clock()
    )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}", response_class=HTMLResponse)
async def change_user(request: Request, name: str, user: PageAdmin) -> Response:
    form = await request.form()
    role, active = form_text(form, "role"), form_text(form, "active")
    context = web(request)
    found = context.repository.user_credentials(name)
    if found is None or role not in set(Role) or name == user.name:
        return _users(request, user, ["pick another user, and a role"], 422)
    before = {"role": found[0].role.value, "active": found[0].active}
    try:
        after = context.repository.update_user(name, role=Role(role), active=active == "1")
    except StorageError as err:
        return _users(request, user, [str(err)], 422)
    context.repository.record_audit(
        user.name,
        "user.update",
        f"user:{name}",
        before,
        {"role": after.role.value, "active": after.active},
        context.clock(),
    )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/password", response_class=HTMLResponse)
async def reset_password(request: Request, name: str, user: PageAdmin) -> Response:
    """An admin sets another user's password (their sessions end; their API tokens stay)."""
    form = await request.form()
    context = web(request)
    if name == user.name or context.repository.user_credentials(name) is None:
        return _users(request, user, ["pick another user (change your own on your account)"], 422)
    password = str(form.get("password") or "")
    if problems := _password_problems("password", password):
        return _users(request, user, problems, 422)
    context.repository.update_user(name, password_hash=hash_password(password))
    context.repository.record_audit(
        user.name, "user.password_reset", f"user:{name}", None, None, context.clock()
    )
    return RedirectResponse(f"/users?reset={quote(name)}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, user: PageViewer) -> HTMLResponse:
    entries = web(request).repository.audit_log(200)
    return render(request, "audit.html", {"user": user, "entries": entries})
