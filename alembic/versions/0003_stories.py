"""items: stories of near-duplicates (story_id, MinHash sketch) and their anchors

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sketch", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_items_story_id"), ["story_id"], unique=False)
    op.create_table(
        "item_anchors",
        sa.Column("anchor", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_anchors_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("anchor", "item_id", name=op.f("pk_item_anchors")),
    )
    # Items stored before stories existed are each their own story.
    op.execute("UPDATE items SET story_id = id WHERE story_id IS NULL")


def downgrade() -> None:
    op.drop_table("item_anchors")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_story_id"))
        batch_op.drop_column("sketch")
        batch_op.drop_column("story_id")
