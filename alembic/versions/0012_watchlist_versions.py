"""watchlists: versions of their files (no rollback), managed in git, refused syncs

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op
from monitor.store.tables import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watchlists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("managed_in_git", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("sync_refused", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sync_refused_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "watchlist_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watchlist_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_watchlist_versions_watchlist_id_watchlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlist_versions")),
        sa.UniqueConstraint(
            "watchlist_id", "fingerprint", name=op.f("uq_watchlist_versions_watchlist_id")
        ),
    )
    # The version each watchlist holds now is the first one known.
    rows = op.get_bind().execute(
        sa.text("SELECT id, fingerprint FROM watchlists WHERE fingerprint IS NOT NULL")
    )
    now = datetime.now(UTC)
    seed = [
        {"watchlist_id": i, "fingerprint": f, "stored_at": now, "origin": "before 0012"}
        for i, f in rows
    ]
    if seed:  # through the model's column type: naive UTC on SQLite, like every timestamp
        table = sa.table(
            "watchlist_versions",
            sa.column("watchlist_id", sa.Integer()),
            sa.column("fingerprint", sa.String()),
            sa.column("stored_at", UTCDateTime()),
            sa.column("origin", sa.String()),
        )
        op.bulk_insert(table, seed)


def downgrade() -> None:
    op.drop_table("watchlist_versions")
    with op.batch_alter_table("watchlists", schema=None) as batch_op:
        batch_op.drop_column("sync_refused_at")
        batch_op.drop_column("sync_refused")
        batch_op.drop_column("managed_in_git")
