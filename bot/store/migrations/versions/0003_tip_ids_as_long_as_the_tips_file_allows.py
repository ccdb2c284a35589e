"""Tip ids as long as the tips file allows: 200 characters (they held 128).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen here: a later change of bot.core.catalogue.TIP_ID_MAX needs a migration of its own.
WIDE, NARROW = 200, 128


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a column in place, so the table is copied.
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("tip_id", type_=sa.String(WIDE), existing_type=sa.String(NARROW))
    with op.batch_alter_table("votes") as batch:
        batch.alter_column(
            "tip_id",
            type_=sa.String(WIDE),
            existing_type=sa.String(NARROW),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("votes") as batch:
        batch.alter_column(
            "tip_id",
            type_=sa.String(NARROW),
            existing_type=sa.String(WIDE),
            existing_nullable=False,
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("tip_id", type_=sa.String(NARROW), existing_type=sa.String(WIDE))
