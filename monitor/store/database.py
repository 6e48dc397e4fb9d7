"""Engine creation and schema migrations (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from alembic import command
from monitor.errors import StorageError
from monitor.store.pgvector import TABLE as PGVECTOR_TABLE

ALEMBIC_DIR = Path(__file__).resolve().parent.parent.parent / "alembic"
_LOCK = 0x6D6F6E69746F72  # "monitor": the advisory lock taken while migrating


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def modelled(name: str | None, type_: str, _parents: Any) -> bool:
    """Whether Alembic compares a database object with the models (``include_name``): the
    pgvector archive exists only where the extension does, so it has no model."""
    return not (type_ == "table" and name == PGVECTOR_TABLE)


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the project's migrations and ``url``."""
    if not ALEMBIC_DIR.is_dir():
        raise StorageError(f"migrations not found at {ALEMBIC_DIR}")
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on ``engine``'s database."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Workers starting together migrate one at a time (the lock ends with the
                # transaction); the later ones find the schema already up to date.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as err:
        raise StorageError(f"migrating the database failed: {err}") from err


def downgrade(engine: Engine, revision: str) -> None:
    """Revert migrations down to ``revision``."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of monitor."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
