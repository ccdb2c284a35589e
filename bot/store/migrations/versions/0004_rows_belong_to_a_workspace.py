"""Every row belongs to a workspace; slack_sdk's installation and OAuth-state tables.

Subscriptions and votes get `team_id` and `enterprise_id` (NOT NULL, default ''),
and their unique keys start with them: two workspaces may hold the same channel id
(a shared channel). The ledger and the rotation belong to a workspace through their
subscription. Rows already here get the placeholder workspace ('', ''): a bot in
one-workspace mode adopts them at start as its own team (SqlStore.adopt_placeholder_rows).

The tables slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore use
are created here, as slack_sdk 3.x defines them (frozen copies: a test compares
them with the installed slack_sdk, so an upgrade that changes them fails CI).

On SQLite the two tables are rebuilt (batch mode); bot.store.migrate turns foreign
key enforcement off around the migrations, since dropping the old subscriptions
table would otherwise cascade to the ledger and the rotations.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# What SQLite's reflection calls the old unnamed unique constraint, and PostgreSQL's name.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _workspace_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("team_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("enterprise_id", sa.String(32), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("subscriptions", naming_convention=_NAMING) as batch:
        for column in _workspace_columns():
            batch.add_column(column)
        batch.drop_constraint(
            "uq_subscriptions_channel_id" if sqlite else "subscriptions_channel_id_key",
            type_="unique",
        )
        batch.create_unique_constraint(
            "uq_subscriptions_channel", ["enterprise_id", "team_id", "channel_id"]
        )
    if sqlite:  # rebuilt from this description, so that the new key replaces the old one
        with op.batch_alter_table("votes", copy_from=_votes_0003(), recreate="always") as batch:
            _key_votes_by_workspace(batch)
    else:
        with op.batch_alter_table("votes") as batch:
            batch.drop_constraint("votes_pkey", type_="primary")
            _key_votes_by_workspace(batch)
    _create_slack_sdk_tables()


def _votes_0003() -> sa.Table:
    """The votes table as 0003 left it, its key left out (the new key replaces it)."""
    return sa.Table(
        "votes",
        sa.MetaData(),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("tip_id", sa.String(200), nullable=False),
        sa.Column("vote", sa.String(16), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_votes_tip_id", "tip_id"),
    )


def _key_votes_by_workspace(batch: BatchOperations) -> None:
    for column in _workspace_columns():
        batch.add_column(column)
    batch.create_primary_key("votes_pkey", ["enterprise_id", "team_id", "user_id", "tip_id"])


def _create_slack_sdk_tables() -> None:
    # slack_sdk.oauth.installation_store.sqlalchemy (3.x), default table names.
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("enterprise_url", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", sa.String(200)),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", sa.String(200)),
        sa.Column("user_token_expires_at", sa.DateTime),
        sa.Column("incoming_webhook_url", sa.String(200)),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
        sa.Column("token_type", sa.String(32)),
        sa.Column("installed_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime),
        sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
        sa.Column("installed_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )
    # slack_sdk.oauth.state_store.sqlalchemy (3.x)
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    # Back to one workspace: possible only while every row is the placeholder's.
    named = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT count(*) FROM subscriptions WHERE team_id <> '' OR enterprise_id <> ''"
        )
        .scalar()
    )
    if named:
        raise RuntimeError("cannot go below 0004: rows belong to named workspaces")
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
    op.execute("DELETE FROM votes WHERE team_id <> '' OR enterprise_id <> ''")
    with op.batch_alter_table("votes") as batch:
        batch.drop_constraint("votes_pkey", type_="primary")
        batch.create_primary_key("votes_pkey", ["user_id", "tip_id"])
        batch.drop_column("enterprise_id")
        batch.drop_column("team_id")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_constraint("uq_subscriptions_channel", type_="unique")
        batch.create_unique_constraint(
            "uq_subscriptions_channel_id" if sqlite else "subscriptions_channel_id_key",
            ["channel_id"],
        )
        batch.drop_column("enterprise_id")
        batch.drop_column("team_id")
