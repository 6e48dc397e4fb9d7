"""What every part of the repository stands on: sessions, the write lock, errors as StorageError.

Each domain's queries live in their own module as a mixin of :class:`StorageBase`
(``watchlists``, ``sources``, ``items``, ``evidence``, ``outbox``, ``accounts``, ``digests``,
``status``); ``repository.py`` composes them into the one public :class:`Repository`, and
``mapping.py`` turns rows into domain types.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import NotFoundError, StorageError
from monitor.store.pgvector import open_vector_store
from monitor.store.tables import Base
from monitor.store.vectors import VectorStore

ANCHOR_CHUNK = 500  # ids or anchors per query, well under SQLite's limit on bound parameters

RowT = TypeVar("RowT", bound=Base)
T = TypeVar("T")
C = TypeVar("C")


def sha256_key(text: str) -> str:
    """SHA-256 hex of ``text``: how long unique strings (URLs, item keys) are indexed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def storage_errors(cls: type[C]) -> type[C]:
    """Make every public method of ``cls`` raise StorageError (chained) for what the database
    refuses."""
    for name, method in list(vars(cls).items()):
        if callable(method) and not name.startswith("_"):
            setattr(cls, name, wrapped(method))
    return cls


def wrapped(method: Callable[..., T]) -> Callable[..., T]:
    """``method``, raising StorageError for a SQLAlchemy error."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as err:
            raise StorageError(
                f"database error in {method.__name__}: {err.__class__.__name__}: "
                f"{str(err).splitlines()[0]}"
            ) from err

    return call


def rows_changed(result: Any) -> int:
    """How many rows an UPDATE or DELETE changed (0 where the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


class StorageBase:
    """The engine, its sessions and the write lock the domain mixins share."""

    def __init__(self, engine: Engine, vector_store: str = "auto") -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite takes one writer at a time: writers of this process queue here instead of
        # failing with "database is locked" (readers never wait: the file is in WAL mode).
        serial = engine.dialect.name == "sqlite"
        self._write_lock: AbstractContextManager[Any] = (
            threading.RLock() if serial else contextlib.nullcontext()
        )
        self._vector_store = vector_store
        self._vectors: VectorStore | None = None

    @property
    def vectors(self) -> VectorStore:
        """Passage embeddings: the archive claim previews and backfills search. Chosen on first
        use (``vector_store``: auto, numpy or pgvector); ConfigError where pgvector is missing."""
        if self._vectors is None:
            self._vectors = open_vector_store(self.engine, self._write_lock, self._vector_store)
        return self._vectors

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session in one write transaction, committed on success."""
        with self._write_lock, self._sessions.begin() as session:
            yield session

    def _row(self, table: type[RowT], row_id: int) -> RowT:
        """One row by primary key, detached from its session; StorageError if there is none."""
        with self._sessions() as session:
            row = session.get(table, row_id)
            if row is None:
                raise NotFoundError(f"{table.__tablename__} row {row_id} not found")
            return row
