"""What the store does to a workspace as a whole: forget it (an uninstall), or adopt
the rows kept before rows had a workspace (one-workspace mode, at start)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from bot.store.base import Workspace
from bot.store.sql.schema import deliveries, rotations, subscriptions, votes
from bot.store.sql.subscriptions import in_workspace
from bot.store.sql.transactions import Transactions

PLACEHOLDER = Workspace(team_id="", enterprise_id="")  # rows from before migration 0004


class SqlWorkspaces(Transactions):
    def delete_workspace(self, workspace: Workspace) -> None:
        org_wide = workspace.enterprise_id != "" and workspace.team_id == ""

        def forgotten(table: Any) -> ColumnElement[bool]:
            if org_wide:  # every workspace of the enterprise
                return table.c.enterprise_id == workspace.enterprise_id  # type: ignore[no-any-return]
            return in_workspace(table, workspace)

        theirs = select(subscriptions.c.id).where(forgotten(subscriptions))
        with self._tx() as connection:
            # Spelled out, not left to ON DELETE CASCADE: SQLite enforces it only when told.
            connection.execute(delete(deliveries).where(deliveries.c.subscription_id.in_(theirs)))
            connection.execute(delete(rotations).where(rotations.c.subscription_id.in_(theirs)))
            connection.execute(delete(subscriptions).where(forgotten(subscriptions)))
            connection.execute(delete(votes).where(forgotten(votes)))

    def adopt_placeholder_rows(self, workspace: Workspace) -> int:
        if workspace == PLACEHOLDER:
            return 0
        adopted = {"enterprise_id": workspace.enterprise_id, "team_id": workspace.team_id}
        with self._tx() as connection:
            count = 0
            for table, key in ((subscriptions, ("channel_id",)), (votes, ("user_id", "tip_id"))):
                twin = aliased(table)
                has_twin = exists().where(
                    in_workspace(twin, workspace),
                    *(twin.c[name] == table.c[name] for name in key),
                )
                count += connection.execute(
                    update(table)
                    .where(and_(in_workspace(table, PLACEHOLDER), ~has_twin))
                    .values(**adopted)
                ).rowcount
            return count
