"""The tables, as SQLAlchemy Core sees them. The Alembic migrations in
bot/store/migrations create and change them; a test checks the two agree.

Every subscription and vote belongs to one workspace (enterprise id, team id; ""
for none): the delivery ledger and rotation belong to it through their subscription.
slack_sdk's installation and OAuth-state tables are created by the migrations too,
as slack_sdk defines them (tests/store/test_slack_tables.py checks they agree)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.core.catalogue import TIP_ID_MAX

metadata = MetaData()

WORKSPACE_ID = 32  # Slack's team and enterprise ids are short ("T0123ABCD")


def _workspace_columns() -> list[Column[str]]:
    return [
        Column("enterprise_id", String(WORKSPACE_ID), nullable=False, server_default=""),
        Column("team_id", String(WORKSPACE_ID), nullable=False, server_default=""),
    ]


subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_workspace_columns(),
    # A shared channel has the same id in every workspace that shares it.
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
    UniqueConstraint("enterprise_id", "team_id", "channel_id", name="uq_subscriptions_channel"),
)

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
    Column("enterprise_id", String(WORKSPACE_ID), primary_key=True, server_default=""),
    Column("team_id", String(WORKSPACE_ID), primary_key=True, server_default=""),
    Column("user_id", String(32), primary_key=True),
    Column("tip_id", String(TIP_ID_MAX), primary_key=True),
    Column("vote", String(16), nullable=False),
    Column("channel_id", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_votes_tip_id", "tip_id"),
)

# A 429's Retry-After, for every clock process: Slack's limits are per workspace, and
# a second clock must not post where the first was told to wait.
rate_limit_holds = Table(
    "rate_limit_holds",
    metadata,
    Column("enterprise_id", String(WORKSPACE_ID), primary_key=True, server_default=""),
    Column("team_id", String(WORKSPACE_ID), primary_key=True, server_default=""),
    Column("held_until", DateTime(timezone=True), nullable=False),
)
