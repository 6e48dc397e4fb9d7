"""Storage: the only package that imports SQLAlchemy.

``open_store(url)`` gives a migrated database and its :class:`Repository`.
"""

from __future__ import annotations

from monitor.store.database import make_engine, upgrade
from monitor.store.repository import Repository, SyncSummary


def open_store(url: str, *, migrate: bool = True) -> Repository:
    """Connect to ``url``, bring its schema up to date (unless told not to) and return it."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Repository(engine)


__all__ = ["Repository", "SyncSummary", "open_store"]
