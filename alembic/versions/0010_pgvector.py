"""passage_embeddings: the archive on pgvector, where the database offers the extension

Only on PostgreSQL with the ``vector`` extension available (elsewhere nothing changes and the
archive stays in ``passage_vectors``): creates the extension, the ``passage_embeddings`` table
and moves the archive there, one HNSW index per model. Downgrade moves it back and drops the
table; the extension stays (it may serve other tables, and dropping it needs its owner).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 14:00:00.000000
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from alembic import op
from monitor.store.pgvector import TABLE, index_ddl, vector_literal

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
CHUNK = 2000  # rows moved per statement


def upgrade() -> None:
    bind = op.get_bind()
    if not _extension_ready(bind):
        return
    op.execute(
        f"""
        CREATE TABLE {TABLE} (
            item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            passage_index INTEGER NOT NULL,
            model_key VARCHAR(200) NOT NULL,
            passage TEXT NOT NULL,
            embedding vector NOT NULL,
            PRIMARY KEY (item_id, passage_index, model_key)
        )
        """
    )
    dims = _dimension_per_model(bind)
    _move_to_pgvector(bind, dims)
    for model_key, dim in dims.items():  # built after the rows: faster than row by row
        op.execute(index_ddl(model_key, dim))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _has_table(bind):
        return
    _move_back(bind)
    op.execute(f"DROP TABLE {TABLE}")


def _extension_ready(bind: sa.Connection) -> bool:
    """Whether pgvector is installed in the database, installing it where it is available."""
    if bind.dialect.name != "postgresql":
        return False
    installed = "SELECT 1 FROM pg_extension WHERE extname = 'vector'"
    if bind.execute(sa.text(installed)).first():
        return True
    available = "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
    if not bind.execute(sa.text(available)).first():
        return False
    try:
        with bind.begin_nested():  # a refusal must not abort the whole migration
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except DBAPIError as err:
        log.warning(
            "pgvector is available but this database user may not create it (%s): the archive "
            "stays in passage_vectors. To move it to pgvector: a superuser runs CREATE "
            "EXTENSION vector in this database, then `monitor db downgrade 0009` and "
            "`monitor db upgrade`.",
            str(err.orig).splitlines()[0],
        )
        return False
    return True


def _has_table(bind: sa.Connection) -> bool:
    return bool(bind.execute(sa.text(f"SELECT to_regclass('{TABLE}') IS NOT NULL")).scalar())


def _dimension_per_model(bind: sa.Connection) -> dict[str, int]:
    """Each model's dimension in passage_vectors (its most common one, should it have several)."""
    counts: Counter[tuple[str, int]] = Counter()
    query = "SELECT model_key, length(vector) / 4, count(*) FROM passage_vectors GROUP BY 1, 2"
    for model_key, dim, count in bind.execute(sa.text(query)):
        counts[(model_key, dim)] = count
    dims: dict[str, int] = {}
    for (model_key, dim), _ in counts.most_common():
        dims.setdefault(model_key, dim)
    return dims


def _move_to_pgvector(bind: sa.Connection, dims: dict[str, int]) -> None:
    insert = sa.text(
        f"INSERT INTO {TABLE} (item_id, passage_index, model_key, passage, embedding) "
        "VALUES (:item_id, :passage_index, :model_key, :passage, CAST(:embedding AS vector))"
    )
    select = "SELECT item_id, passage_index, model_key, passage, vector FROM passage_vectors"
    for chunk in _chunks(bind, select):
        rows = [
            {
                "item_id": row.item_id,
                "passage_index": row.passage_index,
                "model_key": row.model_key,
                "passage": row.passage,
                "embedding": vector_literal(np.frombuffer(row.vector, dtype=np.float32)),
            }
            for row in chunk
            if len(row.vector) == 4 * dims[row.model_key]  # another dimension: unsearchable
        ]
        if rows:
            bind.execute(insert, rows)
    bind.execute(sa.text("DELETE FROM passage_vectors"))


def _move_back(bind: sa.Connection) -> None:
    bind.execute(
        sa.text(
            f"DELETE FROM passage_vectors v USING {TABLE} e "
            "WHERE v.item_id = e.item_id AND v.model_key = e.model_key"
        )
    )
    insert = sa.text(
        "INSERT INTO passage_vectors (item_id, passage_index, model_key, passage, vector) "
        "VALUES (:item_id, :passage_index, :model_key, :passage, :vector)"
    )
    select = f"SELECT item_id, passage_index, model_key, passage, embedding::text FROM {TABLE}"
    for chunk in _chunks(bind, select):
        rows = [
            {
                "item_id": row.item_id,
                "passage_index": row.passage_index,
                "model_key": row.model_key,
                "passage": row.passage,
                "vector": np.array(row.embedding[1:-1].split(","), dtype=np.float32).tobytes(),
            }
            for row in chunk
        ]
        bind.execute(insert, rows)


def _chunks(bind: sa.Connection, select: str) -> Iterator[Sequence[sa.Row[Any]]]:
    """The rows of ``select``, CHUNK at a time (streamed: the archive may be large)."""
    result = bind.execute(sa.text(select).execution_options(yield_per=CHUNK))
    yield from result.partitions(CHUNK)
