"""Alembic migrations: upgrade, downgrade and the schema they build match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from monitor.store import Repository
from monitor.store.database import current_revision, downgrade, head_revision, make_engine, upgrade
from monitor.store.tables import Base
from tests.support.cli import run_cli
from tests.support.databases import database_url


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(tmp_path: Path) -> None:
    engine = make_engine(database_url(tmp_path / "m.sqlite3"))
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert {"watchlists", "sources", "items", "claims", "evidence", "alerts"} <= set(
        inspect(engine).get_table_names()
    )


def test_db_upgrade_command(tmp_path: Path) -> None:
    url = database_url(tmp_path / "cli.sqlite3")
    result = run_cli(["db", "upgrade"], env={"MONITOR_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert f"database at revision {head_revision()}" in result.output


def test_0002_keeps_existing_sources_and_gives_them_the_defaults(tmp_path: Path) -> None:
    engine = make_engine(database_url(tmp_path / "old.sqlite3"))
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (url_hash, url, name, kind, poll_interval_s, enabled, "
                "error_count, created_at) VALUES ('h', 'https://example.org/feed', 'Old', "
                "'feed', 900, TRUE, 0, '2024-01-01 00:00:00')"
            )
        )
    upgrade(engine)
    source = Repository(engine).source(1)
    assert (source.name, source.full_text, source.selector) == ("Old", False, None)
    assert (source.enabled, source.disabled_reason, source.adapted_interval) == (True, None, None)
    downgrade(engine, "0001")
    assert "selector" not in {c["name"] for c in inspect(engine).get_columns("sources")}
