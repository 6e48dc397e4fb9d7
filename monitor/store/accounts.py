"""Accounts: users, API tokens and the audit log of edits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from monitor.errors import NotFoundError
from monitor.store.base import StorageBase, rows_changed, storage_errors
from monitor.store.mapping import to_user
from monitor.store.tables import ApiTokenRow, AuditRow, UserRow, WebSessionRow
from monitor.types import AuditEntry, Role, User


@storage_errors
class AccountsMixin(StorageBase):
    """Users, API tokens and the audit log."""

    def add_user(self, name: str, password_hash: str, role: Role, now: datetime) -> User:
        with self._transaction() as session:
            row = UserRow(
                name=name, password_hash=password_hash, role=role.value, active=True, created_at=now
            )
            session.add(row)
            session.flush()
            return to_user(row)

    def update_user(
        self,
        name: str,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
    ) -> User:
        """Change a user's password hash, role or active flag (those given)."""
        with self._transaction() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            if row is None:
                raise NotFoundError(f"no user named {name!r}")
            if password_hash is not None:
                row.password_hash = password_hash
            if role is not None:
                row.role = role.value
            if active is not None:
                row.active = active
            return to_user(row)

    def user_credentials(self, name: str) -> tuple[User, str] | None:
        """The user named ``name`` and their password hash, or None."""
        with self._sessions() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            return (to_user(row), row.password_hash) if row is not None else None

    def user_by_id(self, user_id: int) -> tuple[User, str] | None:
        """The user with ``user_id`` and their password hash, or None."""
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            return (to_user(row), row.password_hash) if row is not None else None

    def start_web_session(
        self, session_hash: str, user_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Record a signed-in session (and forget the sessions that have expired)."""
        with self._transaction() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
            session.add(
                WebSessionRow(
                    id=session_hash, user_id=user_id, created_at=now, expires_at=expires_at
                )
            )

    def web_session_user(self, session_hash: str, now: datetime) -> int | None:
        """The id of the user whose unexpired session this is, or None (signed out, unknown)."""
        with self._sessions() as session:
            row = session.get(WebSessionRow, session_hash)
            return row.user_id if row is not None and row.expires_at > now else None

    def end_web_session(self, session_hash: str) -> None:
        with self._transaction() as session:
            session.execute(delete(WebSessionRow).where(WebSessionRow.id == session_hash))

    def users(self) -> list[User]:
        with self._sessions() as session:
            return [to_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.name))]

    def add_api_token(self, user_id: int, name: str, token_hash: str, now: datetime) -> int:
        with self._transaction() as session:
            row = ApiTokenRow(
                user_id=user_id, name=name, token_hash=token_hash, created_at=now, revoked=False
            )
            session.add(row)
            session.flush()
            return row.id

    def api_tokens(self, user_id: int) -> list[tuple[int, str, datetime, datetime | None]]:
        """A user's live tokens: (id, name, created, last used)."""
        query = (
            select(
                ApiTokenRow.id, ApiTokenRow.name, ApiTokenRow.created_at, ApiTokenRow.last_used_at
            )
            .where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked.is_(False))
            .order_by(ApiTokenRow.id)
        )
        with self._sessions() as session:
            return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

    def revoke_api_token(self, user_id: int, token_id: int) -> bool:
        with self._transaction() as session:
            result = session.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.id == token_id, ApiTokenRow.user_id == user_id)
                .values(revoked=True)
            )
            return bool(rows_changed(result))

    def token_user(self, token_hash: str, now: datetime) -> User | None:
        """The active user a live token belongs to (its last use is noted, once a minute)."""
        query = (
            select(ApiTokenRow, UserRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked.is_(False))
            .where(UserRow.active.is_(True))
        )
        with self._sessions() as session:
            found = session.execute(query).first()
        if found is None:
            return None
        token, user = found
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            with self._transaction() as session:
                session.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token.id).values(last_used_at=now)
                )
        return to_user(user)

    def record_audit(
        self,
        actor: str,
        action: str,
        target: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        with self._transaction() as session:
            session.add(
                AuditRow(
                    at=now, actor=actor, action=action, target=target, before=before, after=after
                )
            )

    def audit_log(self, limit: int = 100, target: str | None = None) -> list[AuditEntry]:
        """The newest edits first; only those of ``target`` when given."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if target is not None:
            query = query.where(AuditRow.target == target)
        with self._sessions() as session:
            return [
                AuditEntry(r.id, r.at, r.actor, r.action, r.target, r.before, r.after)
                for r in session.scalars(query)
            ]
