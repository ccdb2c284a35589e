"""Votes on tips, and indexes for finding stale claims and counting deliveries per tip.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("tip_id", sa.String(128), primary_key=True),
        sa.Column("vote", sa.String(16), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_votes_tip_id", "votes", ["tip_id"])
    op.create_index("ix_deliveries_state_claimed_at", "deliveries", ["state", "claimed_at"])
    op.create_index("ix_deliveries_tip_id", "deliveries", ["tip_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_tip_id", table_name="deliveries")
    op.drop_index("ix_deliveries_state_claimed_at", table_name="deliveries")
    op.drop_index("ix_votes_tip_id", table_name="votes")
    op.drop_table("votes")
