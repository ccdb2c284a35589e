"""Subscriptions: one row per channel of a workspace, ever; reading one never fails on
a bad row. The methods named for a workspace are reached through its view
(bot.store.sql.workspace); the scheduler's read every workspace's."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, select, update

from bot.core.schedule import WeeklySchedule, stored_schedule, unusable_schedule_reason
from bot.store.base import Subscription, Workspace
from bot.store.sql.schema import rotations, subscriptions
from bot.store.sql.transactions import Transactions, to_db, utc

log = logging.getLogger(__name__)


def in_workspace(table: Any, workspace: Workspace) -> ColumnElement[bool]:
    return and_(
        table.c.enterprise_id == workspace.enterprise_id, table.c.team_id == workspace.team_id
    )


class SqlSubscriptions(Transactions):
    def subscribe_in(
        self,
        workspace: Workspace,
        *,
        channel_id: str,
        schedule: WeeklySchedule,
        topics: Sequence[str],
        subscribed_by: str,
        now: datetime,
    ) -> Subscription:
        now = to_db(now)
        values = {
            "weekday": schedule.day,
            "post_time": schedule.at.strftime("%H:%M"),
            "timezone": schedule.timezone,
            "topics": ",".join(topics),
            "subscribed_by": subscribed_by,
            "active": True,
            "paused_reason": None,
            "active_since": now,
            "updated_at": now,
        }
        key = {
            "enterprise_id": workspace.enterprise_id,
            "team_id": workspace.team_id,
            "channel_id": channel_id,
        }
        this_channel = _channel(workspace, channel_id)
        with self._tx() as connection:
            inserted = connection.execute(
                self._insert(subscriptions)
                .values(**key, created_at=now, **values)
                .on_conflict_do_nothing(index_elements=list(key))
                .returning(subscriptions.c.id)
            ).scalar_one_or_none()
            if inserted is not None:
                connection.execute(
                    rotations.insert().values(
                        subscription_id=inserted, seed=uuid.uuid4().hex, round=0
                    )
                )
            else:
                connection.execute(update(subscriptions).where(this_channel).values(**values))
            return self._subscription_where(connection, this_channel)

    def unsubscribe_in(self, workspace: Workspace, *, channel_id: str, now: datetime) -> bool:
        with self._tx() as connection:
            result = connection.execute(
                update(subscriptions)
                .where(_channel(workspace, channel_id), subscriptions.c.active.is_(True))
                .values(active=False, updated_at=to_db(now))
            )
            return result.rowcount > 0

    def subscription_in(self, workspace: Workspace, channel_id: str) -> Subscription | None:
        with self._tx() as connection:
            found = _read_subscriptions(
                connection, _subscription_select().where(_channel(workspace, channel_id))
            )
        return found[0] if found else None

    def subscriptions_in(
        self, workspace: Workspace | None, *, receiving_only: bool = True
    ) -> list[Subscription]:
        query = _subscription_select().order_by(subscriptions.c.id)
        if workspace is not None:
            query = query.where(in_workspace(subscriptions, workspace))
        if receiving_only:
            query = query.where(
                subscriptions.c.active.is_(True), subscriptions.c.paused_reason.is_(None)
            )
        with self._tx() as connection:
            found = _read_subscriptions(connection, query)
        return [sub for sub in found if sub.receiving] if receiving_only else found

    def subscriptions(self, *, receiving_only: bool = True) -> list[Subscription]:
        return self.subscriptions_in(None, receiving_only=receiving_only)

    def pause(self, *, subscription_id: int, reason: str, now: datetime) -> None:
        with self._tx() as connection:
            connection.execute(
                update(subscriptions)
                .where(subscriptions.c.id == subscription_id)
                .values(paused_reason=reason, updated_at=to_db(now))
            )

    def _subscription_where(self, connection: Connection, condition: Any) -> Subscription:
        (found,) = _read_subscriptions(connection, _subscription_select().where(condition))
        return found


def _channel(workspace: Workspace, channel_id: str) -> ColumnElement[bool]:
    return and_(in_workspace(subscriptions, workspace), subscriptions.c.channel_id == channel_id)


def _subscription_select() -> Any:
    return select(subscriptions, rotations.c.seed).join(
        rotations, rotations.c.subscription_id == subscriptions.c.id
    )


def _read_subscriptions(connection: Connection, query: Any) -> list[Subscription]:
    """The subscriptions the query selects. A row whose schedule cannot be used is
    paused here, by the first reader to see it (the update is the once-only gate
    for the log line too), so each caller gets it back paused."""
    found = []
    for row in connection.execute(query).all():
        try:
            schedule: WeeklySchedule | None = stored_schedule(
                weekday=row.weekday, post_time=row.post_time, timezone=row.timezone
            )
            pause = row.paused_reason
        except ValueError as problem:
            schedule = None
            pause = row.paused_reason or unusable_schedule_reason(str(problem))
            if row.paused_reason is None:
                _pause_unusable(connection, row, pause)
        found.append(_subscription(row, schedule=schedule, paused_reason=pause))
    return found


def _pause_unusable(connection: Connection, row: Row[Any], reason: str) -> None:
    paused = connection.execute(
        update(subscriptions)
        .where(subscriptions.c.id == row.id, subscriptions.c.paused_reason.is_(None))
        .values(paused_reason=reason)
    ).rowcount
    if paused:
        log.warning(
            "paused the weekly insight of %s (workspace %s): its stored schedule cannot be "
            "used (%s); `/pmtip subscribe` in the channel, with a valid timezone, resumes it",
            row.channel_id,
            _workspace(row),
            reason.partition(": ")[2],
        )


def _subscription(
    row: Row[Any], *, schedule: WeeklySchedule | None, paused_reason: str | None
) -> Subscription:
    return Subscription(
        id=row.id,
        workspace=_workspace(row),
        channel_id=row.channel_id,
        schedule=schedule,
        topics=tuple(t for t in row.topics.split(",") if t),
        subscribed_by=row.subscribed_by,
        active=bool(row.active),
        paused_reason=paused_reason,
        active_since=utc(row.active_since),
        rotation_seed=row.seed,
    )


def _workspace(row: Row[Any]) -> Workspace:
    return Workspace(team_id=row.team_id, enterprise_id=row.enterprise_id)
