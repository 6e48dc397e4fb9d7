"""evidence: who holds the stance, the positions reported beside it, the model's relatedness

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reported", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("related", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("related")
        batch_op.drop_column("reported")
        batch_op.drop_column("holder")
