"""sources: page selector, full text, adaptive interval, disabling; watchlist fingerprints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adapted_interval_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("selector", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("full_text", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("disabled_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("watchlists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_source_fetched", ["source_id", "fetched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_source_fetched")

    with op.batch_alter_table("watchlists", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("failing_since")
        batch_op.drop_column("disabled_reason")
        batch_op.drop_column("full_text")
        batch_op.drop_column("selector")
        batch_op.drop_column("adapted_interval_s")
