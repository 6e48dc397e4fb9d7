"""near_misses: candidates just under their claim's bar, kept for editors to confirm or dismiss

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "near_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("relevance", sa.Float(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("stance", sa.String(length=20), nullable=False),
        sa.Column("stance_confidence", sa.Float(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=True),
        sa.Column("reported", sa.JSON(), nullable=True),
        sa.Column("related", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review", sa.String(length=20), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name="fk_near_misses_claim_id_claims",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_near_misses_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_near_misses"),
        sa.UniqueConstraint("claim_id", "item_id", name="uq_near_misses_claim_item"),
    )
    op.create_index("ix_near_misses_claim_id", "near_misses", ["claim_id"])
    op.create_index("ix_near_misses_item_id", "near_misses", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_near_misses_item_id", table_name="near_misses")
    op.drop_index("ix_near_misses_claim_id", table_name="near_misses")
    op.drop_table("near_misses")
