"""sources: the bounds a watchlist sets on the adaptive poll interval

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 13:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_interval_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_interval_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("max_interval_s")
        batch_op.drop_column("min_interval_s")
