"""Alembic environment: migrations for monitor's tables.

`monitor db upgrade` passes its own connection; the plain `alembic` command reads the URL from
monitor's settings (MONITOR_DATABASE_URL and friends).
"""

from __future__ import annotations

from sqlalchemy import Connection

from alembic import context
from monitor.store.database import modelled
from monitor.store.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=modelled,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from monitor.settings import load_settings
    from monitor.store.database import make_engine

    url = config.get_main_option("sqlalchemy.url") or load_settings().resolved_database_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
