"""Where tests keep their data: a SQLite file, or a fresh PostgreSQL database per test.

``MONITOR_TEST_POSTGRES`` (a PostgreSQL URL, as printed by ``scripts/postgres-for-tests``)
switches every test that stores data to PostgreSQL; ``make test`` runs the suite both ways.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES = os.environ.get("MONITOR_TEST_POSTGRES", "")
_created: list[str] = []
_lock = threading.Lock()


def backend() -> str:
    return "postgresql" if POSTGRES else "sqlite"


def database_url(path: Path) -> str:
    """The database for ``path`` (a would-be SQLite file under the test's tmp_path)."""
    if not POSTGRES:
        return f"sqlite:///{path}"
    name = "t_" + hashlib.sha1(str(path).encode()).hexdigest()[:24]
    with _lock:
        if name not in _created:
            engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            engine.dispose()
            _created.append(name)
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


def drop_created() -> None:
    """Drop the databases this test session created."""
    if not POSTGRES or not _created:
        return
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for name in _created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
    _created.clear()
