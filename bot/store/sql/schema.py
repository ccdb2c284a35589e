"""The tables, as SQLAlchemy Core sees them. The Alembic migrations in
bot/store/migrations create and change them; a test checks the two agree."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.core.catalogue import TIP_ID_MAX

metadata = MetaData()


def _workspace() -> tuple[Column[str], Column[str]]:
    """The workspace a row belongs to (bot.core.workspace.Workspace). '' and '' is the
    placeholder that rows from before many workspaces carry until adopted."""
    return (
        Column("team_id", String(32), nullable=False, server_default=""),
        Column("enterprise_id", String(32), nullable=False, server_default=""),
    )


subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel_id", String(32), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("post_time", String(5), nullable=False),  # "HH:MM"
    Column("timezone", String(64), nullable=False),
    Column("topics", Text, nullable=False, server_default=""),  # comma-separated slugs
    Column("subscribed_by", String(32), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("paused_reason", Text, nullable=True),
    Column("active_since", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    *_workspace(),
    # A shared channel has one id in every workspace it joins.
    UniqueConstraint("enterprise_id", "team_id", "channel_id", name="uq_subscriptions_channel"),
)

# The rotation and the ledger belong to a workspace through their subscription.
rotations = Table(
    "rotations",
    metadata,
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seed", String(64), nullable=False),
    Column("round", Integer, nullable=False, server_default="0"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("slot_key", String(16), nullable=False),
    Column("slot_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),
    Column("claim_token", String(64), nullable=True),
    Column("tip_id", String(TIP_ID_MAX), nullable=True),
    Column("round", Integer, nullable=True),
    Column("message_ts", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscription_id", "slot_key", name="uq_deliveries_slot"),
    Index("ix_deliveries_state_claimed_at", "state", "claimed_at"),
    Index("ix_deliveries_tip_id", "tip_id"),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", String(32), nullable=False),
    Column("tip_id", String(TIP_ID_MAX), nullable=False),
    *_workspace(),
    Column("vote", String(16), nullable=False),
    Column("channel_id", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_votes_tip_id", "tip_id"),
    PrimaryKeyConstraint("enterprise_id", "team_id", "user_id", "tip_id", name="votes_pkey"),
)
