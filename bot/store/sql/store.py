"""bot.store.base.Store on SQLAlchemy 2.x Core: SQLite (the embedded default) or
PostgreSQL, one short transaction per method.

On SQLite every transaction begins with BEGIN IMMEDIATE, so concurrent writers
queue on the busy timeout instead of failing halfway; on PostgreSQL the unique
ledger key and compare-and-swap updates on the claim token do the arbitration.

`SqlStore.workspace(ws)` is a `SqlWorkspace`: subscriptions and feedback whose every
statement carries the workspace. The store itself keeps what spans workspaces: the
ledger by subscription id, the scheduler's list, adoption and deletion.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, exists, select, update

from bot.core.workspace import Workspace
from bot.store.base import PLACEHOLDER, Delivery, Subscription
from bot.store.sql.feedback import SqlFeedback
from bot.store.sql.ledger import SqlLedger, delivery_from_row
from bot.store.sql.schema import deliveries, rotations, subscriptions, votes
from bot.store.sql.subscriptions import SqlSubscriptions, subscriptions_where
from bot.store.sql.transactions import owned_by, to_db

log = logging.getLogger(__name__)


class SqlWorkspace(SqlSubscriptions, SqlFeedback):
    """bot.store.base.WorkspaceStore: one workspace's rows on the store's engine."""

    def deliveries(self, subscription_id: int) -> list[Delivery]:
        query = (
            select(deliveries)
            .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
            .where(self._owns(subscriptions), deliveries.c.subscription_id == subscription_id)
            .order_by(deliveries.c.id)
        )
        with self._tx() as connection:
            return [delivery_from_row(row) for row in connection.execute(query)]


class SqlStore(SqlLedger):
    """bot.store.base.Store on a SQLAlchemy engine (bot.store.sql.engine opens one)."""

    def workspace(self, workspace: Workspace) -> SqlWorkspace:
        return SqlWorkspace(self.engine, workspace)

    def all_subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        named = ~owned_by(subscriptions, PLACEHOLDER)
        return subscriptions_where(self, named, receiving_only=receiving_only)

    def pause(self, *, subscription_id: int, reason: str, now: datetime) -> None:
        with self._tx() as connection:
            connection.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(paused_reason=reason, updated_at=to_db(now))
            )

    def adopt_placeholder_rows(self, workspace: Workspace) -> int:
        if workspace == PLACEHOLDER:
            raise ValueError("the placeholder workspace cannot adopt its own rows")
        key = {"team_id": workspace.team_id, "enterprise_id": workspace.enterprise_id}
        with self._tx() as connection:
            adopted = connection.execute(
                update(subscriptions)
                .where(
                    owned_by(subscriptions, PLACEHOLDER),
                    ~_already_held(subscriptions, workspace, "channel_id"),
                )
                .values(**key)
            ).rowcount
            connection.execute(
                update(votes)
                .where(
                    owned_by(votes, PLACEHOLDER),
                    ~_already_held(votes, workspace, "user_id", "tip_id"),
                )
                .values(**key)
            )
        if adopted:
            log.info(
                "%d subscriptions from before many workspaces now belong to %s", adopted, workspace
            )
        return int(adopted)

    def delete_workspace(self, workspace: Workspace) -> None:
        theirs = select(subscriptions.c.id).where(owned_by(subscriptions, workspace))
        with self._tx() as connection:
            # Children first: no reliance on ON DELETE CASCADE being enforced.
            connection.execute(delete(deliveries).where(deliveries.c.subscription_id.in_(theirs)))
            connection.execute(delete(rotations).where(rotations.c.subscription_id.in_(theirs)))
            connection.execute(delete(subscriptions).where(owned_by(subscriptions, workspace)))
            connection.execute(delete(votes).where(owned_by(votes, workspace)))


def _already_held(table: Table, workspace: Workspace, *columns: str) -> Any:
    """Whether `workspace` already holds a row with the same key as the row updated."""
    theirs = table.alias()
    return exists().where(
        owned_by(theirs, workspace), *(theirs.c[c] == table.c[c] for c in columns)
    )
