"""The web front end's people: users, their roles, and the audit of their edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a web user may do: viewers read, editors edit watchlists and sources, admins also
    manage users."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = (Role.VIEWER, Role.EDITOR, Role.ADMIN)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class User:
    """A person who signs in to the web UI (or calls the API with one of their tokens)."""

    id: int
    name: str
    role: Role
    active: bool = True


@dataclass(frozen=True)
class AuditEntry:
    """One edit made through the web UI or API: who, when, what, before and after."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, object] | None
    after: dict[str, object] | None
