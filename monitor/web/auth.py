"""Who is asking: passwords, the session cookie's key, CSRF tokens, API tokens and roles.

Pages use a signed session cookie (Starlette's SessionMiddleware) holding the user's id, a
random session id that the database also keeps until the session ends (signing out deletes it,
so a copied cookie stops working at once), a stamp of their password hash (a changed password
ends every session signed in with the old one) and a per-session CSRF token that every form
POST must echo. The API takes bearer
tokens instead (never the cookie), so it needs no CSRF token. Passwords are stored as argon2
hashes, API tokens as the SHA-256 of a random token (shown once, when it is made).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from monitor.types import Role, User

log = logging.getLogger(__name__)
_hasher = PasswordHasher()
TOKEN_PREFIX = "mon_"
SECRET_FILE = "secret_key"
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to check against when the user does not exist, so a wrong name takes as long as a
# wrong password.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def new_api_token() -> str:
    """A fresh random API token (shown to its owner once, then only its hash is kept)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def load_secret_key(configured: str | None, data_dir: Path) -> str:
    """The key that signs session cookies: the configured one, else one generated on first
    start and kept in ``data_dir/secret_key`` (readable by its owner only)."""
    if configured:
        return configured
    path = data_dir / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key, encoding="utf-8")
    log.info("generated a session secret key in %s", path)
    return key


# --- pages: the session -------------------------------------------------------------------


class LoginRequired(Exception):
    """Raised by page dependencies when nobody is signed in (answered with a redirect)."""


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse a form POST whose ``csrf_token`` is not this session's (router dependency)."""
    if request.method != "POST":
        return
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise HTTPException(403, "the form's CSRF token is missing: reload the page")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "the form's CSRF token is wrong: reload the page")


def password_stamp(password_hash: str) -> str:
    """What a session keeps of its user's password hash: a new password (argon2 salts every
    hash afresh) no longer matches the stamp of sessions signed in before."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


def sign_in(request: Request, user: User, password_hash: str) -> None:
    """Start a fresh session for ``user`` (nothing from before signing in is kept)."""
    end_session(request)
    web = request.app.state.web
    session_id = secrets.token_urlsafe(32)
    now = web.clock()
    web.repository.start_web_session(
        token_hash(session_id), user.id, now, now + web.session_lifetime
    )
    request.session["uid"] = user.id
    request.session["sid"] = session_id
    request.session["pw"] = password_stamp(password_hash)
    csrf_token(request)


def end_session(request: Request) -> None:
    """Sign out: the session ends in the database too, and the cookie is emptied."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        request.app.state.web.repository.end_web_session(token_hash(session_id))
    request.session.clear()


def check_password(request: Request, name: str, password: str) -> tuple[User, str] | None:
    """The active user ``name`` and their password hash, if ``password`` is theirs."""
    found: tuple[User, str] | None = request.app.state.web.repository.user_credentials(name)
    if found is None:
        password_matches(_DUMMY_HASH, password)
        return None
    user, stored = found
    if not user.active or not password_matches(stored, password):
        return None
    return found


def page_user(request: Request) -> User:
    """The signed-in user (LoginRequired otherwise, also once their password has changed)."""
    uid, stamp = request.session.get("uid"), request.session.get("pw")
    session_id = request.session.get("sid")
    web = request.app.state.web
    live = (
        isinstance(session_id, str)
        and isinstance(uid, int)
        and (web.repository.web_session_user(token_hash(session_id), web.clock()) == uid)
    )
    found: tuple[User, str] | None = web.repository.user_by_id(uid) if live else None
    if (
        found is None
        or not found[0].active
        or not isinstance(stamp, str)
        or not hmac.compare_digest(stamp.encode(), password_stamp(found[1]).encode())
    ):
        for key in ("uid", "sid", "pw"):
            request.session.pop(key, None)
        raise LoginRequired
    return found[0]


def _role(needed: Role, who: Callable[..., User]) -> Callable[[User], User]:
    """A dependency: the user ``who`` finds, if their role allows ``needed`` (403 otherwise)."""

    # Depends as the default (FastAPI's older form): under postponed annotations, an
    # ``Annotated[User, Depends(who)]`` could not be resolved, ``who`` being a closure's name.
    def check(user: User = Depends(who)) -> User:  # noqa: B008
        if not user.role.allows(needed):
            raise HTTPException(403, f"this needs the {needed.value} role")
        return user

    return check


# The signed-in user, if their role allows what the page does (403 otherwise).
PageViewer = Annotated[User, Depends(_role(Role.VIEWER, page_user))]
PageEditor = Annotated[User, Depends(_role(Role.EDITOR, page_user))]
PageAdmin = Annotated[User, Depends(_role(Role.ADMIN, page_user))]


# --- the API: bearer tokens ---------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="An API token (`monitor users token NAME`).")


def api_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user an API token belongs to (401 without a valid token)."""
    web = request.app.state.web
    user: User | None = None
    if credentials is not None and credentials.credentials:
        user = web.repository.token_user(token_hash(credentials.credentials), web.clock())
    if user is None:
        raise HTTPException(
            401, "a valid API token is needed", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


# The token's user, if their role allows what the endpoint does (403 otherwise).
ApiViewer = Annotated[User, Depends(_role(Role.VIEWER, api_user))]
ApiEditor = Annotated[User, Depends(_role(Role.EDITOR, api_user))]
