"""sources: worker leases, poll durations, disabled by an editor; items: judging leases

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_duration_s", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("disabled_by_editor", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("judge_lease_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("judge_lease_until")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("disabled_by_editor")
        batch_op.drop_column("last_duration_s")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
