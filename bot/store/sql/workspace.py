"""What the store does to a workspace as a whole: forget it (an uninstall), adopt
the rows kept before rows had a workspace (one-workspace mode, at start), and hold
it back after a 429 (for every clock process)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from bot.store.base import Workspace
from bot.store.sql.schema import deliveries, rate_limit_holds, rotations, subscriptions, votes
from bot.store.sql.subscriptions import in_workspace
from bot.store.sql.transactions import Transactions, to_db, utc

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
            connection.execute(delete(rate_limit_holds).where(forgotten(rate_limit_holds)))

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

    def hold_workspace(self, workspace: Workspace, *, until: datetime) -> None:
        key = {"enterprise_id": workspace.enterprise_id, "team_id": workspace.team_id}
        statement = self._insert(rate_limit_holds).values(**key, held_until=to_db(until))
        with self._tx() as connection:
            # One statement, safe when two clocks hold at once; a later hold wins and an
            # earlier one never shortens it.
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["enterprise_id", "team_id"],
                    set_={"held_until": statement.excluded.held_until},
                    where=rate_limit_holds.c.held_until < statement.excluded.held_until,
                )
            )

    def workspace_held_until(self, workspace: Workspace) -> datetime | None:
        with self._tx() as connection:
            found = connection.execute(
                select(rate_limit_holds.c.held_until).where(
                    in_workspace(rate_limit_holds, workspace)
                )
            ).scalar_one_or_none()
        return None if found is None else utc(found)
