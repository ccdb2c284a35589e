"""Rate-limit holds shared by clock processes: one row per workspace that Slack told
to wait (429 Retry-After), so that a second clock waits too.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_holds",
        sa.Column("enterprise_id", sa.String(32), primary_key=True, server_default=""),
        sa.Column("team_id", sa.String(32), primary_key=True, server_default=""),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_holds")
