"""Every subscription and vote belongs to a workspace; slack_sdk's installation and
OAuth-state tables.

Rows from before (one workspace) get the placeholder workspace ("", ""): a bot in
one-workspace mode adopts them as its own at start (Store.adopt_placeholder_rows).
A channel is unique per workspace, not overall: a shared channel has the same id
in each workspace that shares it. A person's vote on a tip is kept per workspace.

The slack_* tables are slack_sdk's (SQLAlchemyInstallationStore and
SQLAlchemyOAuthStateStore), frozen here as slack_sdk defines them;
tests/store/test_slack_tables.py checks that they still agree.

On SQLite the tables are copied (batch mode); bot.store.migrate turns foreign keys
off around the migration, or dropping the old subscriptions table would cascade
into the ledger and rotation.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WORKSPACE_ID = 32
# SQLite's reflection has no names for the constraints created in 0001/0002.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"}


def _workspace_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("enterprise_id", sa.String(WORKSPACE_ID), nullable=False, server_default=""),
        sa.Column("team_id", sa.String(WORKSPACE_ID), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _key_subscriptions(sqlite)
    _key_votes(sqlite)
    _create_slack_tables()


def _key_subscriptions(sqlite: bool) -> None:
    with op.batch_alter_table("subscriptions", naming_convention=NAMING) as batch:
        for column in _workspace_columns():
            batch.add_column(column)
        old_unique = "uq_subscriptions_channel_id" if sqlite else "subscriptions_channel_id_key"
        batch.drop_constraint(old_unique, type_="unique")
        batch.create_unique_constraint(
            "uq_subscriptions_channel", ["enterprise_id", "team_id", "channel_id"]
        )


def _key_votes(sqlite: bool) -> None:
    with op.batch_alter_table("votes", naming_convention=NAMING) as batch:
        for column in _workspace_columns():
            batch.add_column(column)
        batch.drop_constraint("pk_votes" if sqlite else "votes_pkey", type_="primary")
        batch.create_primary_key("votes_pkey", ["enterprise_id", "team_id", "user_id", "tip_id"])


def _create_slack_tables() -> None:
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
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
    # Back to one workspace: only the placeholder workspace's rows fit the old keys.
    others = "enterprise_id <> '' OR team_id <> ''"
    op.execute(f"DELETE FROM votes WHERE {others}")
    theirs = f"SELECT id FROM subscriptions WHERE {others}"
    for child in ("deliveries", "rotations"):  # foreign keys are off on SQLite: no cascade
        op.execute(f"DELETE FROM {child} WHERE subscription_id IN ({theirs})")
    op.execute(f"DELETE FROM subscriptions WHERE {others}")
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("votes", naming_convention=NAMING) as batch:
        batch.drop_constraint("pk_votes" if sqlite else "votes_pkey", type_="primary")
        batch.create_primary_key("votes_pkey", ["user_id", "tip_id"])
        batch.drop_column("team_id")
        batch.drop_column("enterprise_id")
    with op.batch_alter_table("subscriptions", naming_convention=NAMING) as batch:
        batch.drop_constraint("uq_subscriptions_channel", type_="unique")
        batch.create_unique_constraint("subscriptions_channel_id_key", ["channel_id"])
        batch.drop_column("team_id")
        batch.drop_column("enterprise_id")
