"""Storage: the only package that imports SQLAlchemy.

``open_store(url)`` gives a migrated database and its :class:`Repository`.
"""

from __future__ import annotations

from monitor.store.database import make_engine, upgrade
from monitor.store.repository import Repository, SyncSummary


def open_store(url: str, *, migrate: bool = True, vector_store: str = "auto") -> Repository:
    """Connect to ``url``, bring its schema up to date (unless told not to) and return it;
    ``vector_store`` picks the archive's store (auto, numpy or pgvector)."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Repository(engine, vector_store)


__all__ = ["Repository", "SyncSummary", "open_store"]
