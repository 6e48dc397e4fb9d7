"""sources: WebSub hub, topic and subscription state

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hub_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("topic_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("websub_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("websub_state", sa.String(length=20), server_default="none", nullable=False)
        )
        batch_op.add_column(
            sa.Column("websub_lease_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("websub_error", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("websub_changed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("websub_changed_at")
        batch_op.drop_column("websub_error")
        batch_op.drop_column("websub_lease_until")
        batch_op.drop_column("websub_state")
        batch_op.drop_column("websub_secret")
        batch_op.drop_column("topic_url")
        batch_op.drop_column("hub_url")
