"""Where tests keep their data: a SQLite file, or a fresh PostgreSQL database per test.

``MONITOR_TEST_POSTGRES`` (a PostgreSQL URL, as printed by ``scripts/postgres-for-tests``)
switches every test that stores data to PostgreSQL; ``make test`` runs the suite both ways.
``MONITOR_TEST_PGVECTOR`` (as printed by ``scripts/pgvector-for-tests``: a server with the
pgvector extension) is where the pgvector tests get their databases (:func:`pgvector_url`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES = os.environ.get("MONITOR_TEST_POSTGRES", "")
PGVECTOR = os.environ.get("MONITOR_TEST_PGVECTOR", "")
_created: list[tuple[str, str]] = []  # (server, database)
_lock = threading.Lock()


def backend() -> str:
    return "postgresql" if POSTGRES else "sqlite"


def database_url(path: Path) -> str:
    """The database for ``path`` (a would-be SQLite file under the test's tmp_path)."""
    if not POSTGRES:
        return f"sqlite:///{path}"
    return _fresh_database(POSTGRES, path)


def pgvector_url(path: Path) -> str:
    """A fresh database for ``path`` on the pgvector server (tests skip without one)."""
    assert PGVECTOR, "pgvector tests skip without MONITOR_TEST_PGVECTOR"
    return _fresh_database(PGVECTOR, path)


def _fresh_database(server: str, path: Path) -> str:
    name = "t_" + hashlib.sha1(str(path).encode()).hexdigest()[:24]
    with _lock:
        if (server, name) not in _created:
            engine = create_engine(server, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            engine.dispose()
            _created.append((server, name))
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_created() -> None:
    """Drop the databases this test session created."""
    for server in {server for server, _ in _created}:
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in [name for where, name in _created if where == server]:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    _created.clear()
